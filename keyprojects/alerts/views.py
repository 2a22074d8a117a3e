"""Warning pages: the list (filtered by colour, rule, unit, region, state; its totals equal the
dashboard's counts), its .xlsx, a warning with its history and the acknowledge form, and the
city admins' rules and start targets. Views parse, call one service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.forms import submitted
from keyprojects.core.http import AuthenticatedRequest, xlsx_download
from keyprojects.core.paging import Paginator
from keyprojects.core.params import query_id
from keyprojects.core.permissions import administers, region_holding, regions_for, require_admin
from keyprojects.projects.services import EditConflict
from keyprojects.regions.models import Region

from . import services
from .export import warning_workbook
from .filters import WarningFilter, totals
from .forms import AcknowledgeForm, StartTargetForm, WarningRuleForm
from .models import StartTarget, Warning, WarningRule

PAGE_SIZE = 50
SHOWN = ("project__responsible_unit", "region", "acknowledged_by")


def _filtered(request: AuthenticatedRequest) -> WarningFilter:
    """The list's filter; with neither a state nor a date asked for, the warnings open now."""
    params = request.GET.copy()
    if "state" not in params and not params.get("open_on"):
        params["state"] = "open"
    return WarningFilter(params, queryset=Warning.objects.visible_to(request.user), user=request.user)


@login_required
def warning_list(request: AuthenticatedRequest) -> HttpResponse:
    found = _filtered(request)
    counts = totals(found.qs)
    page = Paginator(found.qs.select_related(*SHOWN, "project"), PAGE_SIZE, count=counts["count"]).get_page(
        request.GET.get("page"))
    query = found.data.copy()
    query.pop("page", None)
    return render(request, "alerts/warning_list.html", {
        "filter": found, "page": page, "totals": counts, "query": query.urlencode(),
        "open_on": found.form.cleaned_data.get("open_on") if found.is_valid() else None,
        "can_manage": administers(request.user),
    })


@login_required
def warning_export(request: AuthenticatedRequest) -> HttpResponse:
    found = _filtered(request)
    today = timezone.localdate()
    region = (found.form.cleaned_data.get("region") if found.is_valid() else None) or region_holding(request.user)
    title = f"{region.name if region else ''}重点项目预警清单"
    return xlsx_download(warning_workbook(found.qs, title, today), f"{title}（{today:%Y%m%d}）.xlsx")


@login_required
def warning_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(Warning.objects.visible_to(request.user).select_related(*SHOWN, "project", "rule"),
                                pk=pk)
    history = warning.history.select_related("history_user").order_by("-history_date", "-history_id")
    form = AcknowledgeForm(initial={"note": warning.acknowledged_note, "version": warning.version})
    return render(request, "alerts/warning_detail.html", {
        "warning": warning, "history": history, "form": form,
        "can_acknowledge": services.may_acknowledge(request.user, warning)})


@login_required
@require_POST
def acknowledge(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    warning = get_object_or_404(Warning.objects.visible_to(request.user), pk=pk)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            services.acknowledge(request.user, warning.pk, form.cleaned_data["note"], form.cleaned_data.get("version"))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        except EditConflict:
            messages.error(request, _("该预警已被他人更新，请查看最新内容后重新确认"))
        else:
            messages.success(request, _("预警已确认"))
    else:
        messages.error(request, _("请填写确认说明"))
    return redirect("alerts:warning", pk=warning.pk)


# --- the city admins' rules and targets ------------------------------------------------------

def _cities(request: AuthenticatedRequest) -> list[Region]:
    """The regions whose rules the user sees: those holding rules or targets in their view, and
    their own region (a city with none yet is offered the defaults)."""
    visible = regions_for(request.user, "view")
    regions = list(visible.filter(pk__in=WarningRule.objects.visible_to(request.user).values("region"))
                   .order_by("code"))
    own = request.user.region
    if own is not None and own not in regions and own.level != Region.Level.COUNTY:
        regions.insert(0, own)
    return regions


@login_required
def rules(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    sections = []
    for region in _cities(request):
        sections.append({
            "region": region, "can_manage": administers(user, region),
            "rules": WarningRule.objects.visible_to(user).filter(region=region).select_related("region"),
            "targets": StartTarget.objects.visible_to(user).filter(region__path__startswith=region.path),
        })
    return render(request, "alerts/rules.html", {"sections": sections})


@login_required
@require_POST
def default_rules(request: AuthenticatedRequest) -> HttpResponse:
    region = get_object_or_404(regions_for(request.user, "view"), pk=request.POST.get("region", "0") or "0")
    created = services.create_default_rules(request.user, region)
    messages.success(request, _("已为%(region)s设置 %(n)s 条默认预警规则") % {"region": region.name, "n": len(created)})
    return redirect("alerts:rules")


@login_required
def rule_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(WarningRule.objects.visible_to(request.user).select_related("region"), pk=pk)
    require_admin(request.user, rule.region)
    form = WarningRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and submitted(
            form, lambda: services.save_rule(request.user, rule.pk, form.cleaned_data)) is not None:
        messages.success(request, _("预警规则已保存，次日评估时生效"))
        return redirect("alerts:rules")
    return render(request, "alerts/rule_form.html", {"form": form, "rule": rule})


@login_required
def target_create(request: AuthenticatedRequest) -> HttpResponse:
    region = get_object_or_404(regions_for(request.user, "view"), pk=query_id(request.GET, "region", _("区划")) or 0)
    require_admin(request.user, region)
    return _target_form(request, region, None)


@login_required
def target_edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(StartTarget.objects.visible_to(request.user).select_related("region"), pk=pk)
    require_admin(request.user, target.region)
    return _target_form(request, target.region, target)


def _target_form(request: AuthenticatedRequest, region: Region, target: StartTarget | None) -> HttpResponse:
    form = StartTargetForm(request.POST or None, instance=target)
    if request.method == "POST" and submitted(form, lambda: services.save_target(
            request.user, region, target.pk if target else None, form.cleaned_data)) is not None:
        messages.success(request, _("开复工目标已保存"))
        return redirect("alerts:rules")
    return render(request, "alerts/target_form.html", {"form": form, "target": target, "region": region})


@login_required
@require_POST
def target_delete(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(StartTarget.objects.visible_to(request.user), pk=pk)
    services.delete_target(request.user, target.pk)
    messages.success(request, _("开复工目标已删除"))
    return redirect("alerts:rules")
