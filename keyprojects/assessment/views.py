from django.contrib.auth.decorators import login_required  # noqa
from django.http import HttpResponse


@login_required
def schemes(request):  # placeholder replaced below
    return HttpResponse("")
