from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .engine import INDICATORS


@login_required
def definitions(request: HttpRequest) -> HttpResponse:
    """指标口径: every indicator the product shows, with its written definition."""
    return render(request, "indicators/definitions.html", {"indicators": INDICATORS.values()})
