"""The exchange page (省平台对接): choose a profile and a month → the check list → the .xlsx;
upload the province's returned list → its matches and differences → accept the chosen ones.
Views parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.permissions import administers, require_admin

from . import services
from .forms import SheetForm, UploadForm
from .models import Profile, Return
from .sheet import checks, sheet, workbook


def _require_exchange(request: AuthenticatedRequest) -> None:
    """The page is the city's administrators' (their province's report)."""
    if not administers(request.user):
        raise PermissionDenied(_("只有市级管理员可以向省平台报送和导入返回清单"))


@login_required
def page(request: AuthenticatedRequest) -> HttpResponse:
    _require_exchange(request)
    initial = SheetForm.initial_for(request.user)
    form = SheetForm(request.GET or None, user=request.user, initial=initial)
    found, check_list = None, []
    if request.GET and form.is_valid():
        data = form.cleaned_data
        found = sheet(request.user, data["profile"], data["region"], data["year"], data["month"], timezone.localdate())
        check_list = checks(request.user, found)
    upload_form = UploadForm(user=request.user, initial=form.data or initial)
    returns = Return.objects.visible_to(request.user).select_related("profile", "region")[:10]
    return render(request, "exchange/page.html", {
        "form": form, "upload_form": upload_form, "sheet": found, "checks": check_list,
        "query": request.GET.urlencode(), "returns": returns, "profiles": Profile.objects.all(), "initial": initial,
    })


@login_required
def export(request: AuthenticatedRequest) -> HttpResponse:
    _require_exchange(request)
    form = SheetForm(request.GET, user=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("exchange:page")
    data = form.cleaned_data
    found = sheet(request.user, data["profile"], data["region"], data["year"], data["month"], timezone.localdate())
    return xlsx_download(workbook(found), f"{found.title}.xlsx")


@login_required
@require_POST
def upload(request: AuthenticatedRequest) -> HttpResponse:
    _require_exchange(request)
    form = UploadForm(request.POST, request.FILES, user=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("exchange:page")
    data, file = form.cleaned_data, form.cleaned_data["file"]
    try:
        found = services.upload_return(request.user, data["profile"], data["region"], data["year"], data["month"],
                                       file.name, file.read())
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("exchange:page")
    return redirect("exchange:review", pk=found.pk)


@login_required
def review(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Return.objects.visible_to(request.user).select_related("profile", "region"), pk=pk)
    require_admin(request.user, found.region)
    accepted = {(a["row"], a["field"]) for a in found.accepted}
    rows = found.rows
    for row in rows:
        for diff in row["diffs"]:
            diff["done"] = (row["row"], diff["key"]) in accepted
    counts = {kind: sum(1 for r in rows if r["match"] == kind) for kind in ("code", "name", "ambiguous", "none")}
    return render(request, "exchange/review.html", {
        "found": found, "rows": rows, "counts": counts,
        "changed": sum(1 for r in rows if r["diffs"]),
    })


@login_required
@require_POST
def accept(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Return.objects.visible_to(request.user), pk=pk)
    chosen = []
    for value in request.POST.getlist("take"):
        row, _sep, key = value.partition(":")
        if row.isdigit() and key:
            chosen.append((int(row), key))
    confirmed = {int(v) for v in request.POST.getlist("confirm") if v.isdigit()}
    if not chosen:
        messages.error(request, _("请勾选要采纳的差异"))
        return redirect("exchange:review", pk=found.pk)
    try:
        count = services.accept(request.user, found.pk, chosen, confirmed)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("已采纳 %(n)s 项省平台数据，记入修改历史（来源：省平台）") % {"n": count})
    return redirect("exchange:review", pk=found.pk)
