"""The audit page (审计日志) for a city admin: every change and every sign-in of their city, newest
first, filtered by user, source, object type or object and dates, as a page or an .xlsx; and an
object's whole history, a deleted object's too.

It reads the audit chain's links (``core.models.AuditEntry``: one indexed table), not a union
of every history table. Scope: a link counts for the region of its object (its region column,
its project's, or its scope path's), else for the region of the acting user's unit; a city
admin sees the links of their region and below, a superuser all, anyone else nothing (403).
A link with no region at all (a failed login under an unknown name, a change by the system to
an object without a region) is shown to superusers only."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from typing import Any

import xlsxwriter
from django import forms
from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.regions.models import Region

from .audit import Source
from .chain import SIGN_IN, history_models
from .http import AuthenticatedRequest, xlsx_download
from .models import AuditEntry, SignIn
from .params import BadQuery, DayField
from .permissions import require_admin

PER_PAGE = 50
EXPORT_LIMIT = 50_000
ACTIONS = {"+": gettext_lazy("新增"), "~": gettext_lazy("修改"), "-": gettext_lazy("删除"),
           **dict(SignIn.Result.choices)}


def model_choices() -> list[tuple[str, str]]:
    tracked = sorted({m.instance_type for m in history_models()}, key=lambda m: m._meta.label)  # type: ignore[attr-defined]
    return [(m._meta.label, str(m._meta.verbose_name)) for m in tracked]


class AuditFilter(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("类别"), required=False,
                             choices=[("changes", gettext_lazy("数据变更")), ("signins", gettext_lazy("登录记录"))])
    user = forms.CharField(label=gettext_lazy("用户名"), required=False, max_length=150)
    source = forms.ChoiceField(label=gettext_lazy("来源"), required=False,
                               choices=[("", gettext_lazy("全部"))] + list(Source.choices))
    model = forms.ChoiceField(label=gettext_lazy("对象类型"), required=False)
    object_id = forms.CharField(label=gettext_lazy("对象编号"), required=False, max_length=64)
    start = DayField(label=gettext_lazy("起始日期"), required=False)
    end = DayField(label=gettext_lazy("截止日期"), required=False)
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("全部"))] + model_choices()  # type: ignore[attr-defined]  # a ChoiceField


def visible_entries(user: Any) -> QuerySet[AuditEntry]:
    """The links ``user`` may see (after ``require_admin``): all for a superuser, else those of
    the admin's region and the regions below it."""
    if user.is_superuser:
        return AuditEntry.objects.all()
    region = user.unit.region
    return AuditEntry.objects.filter(region_id__in=Region.objects.filter(path__startswith=region.path).values("pk"))


def filtered(user: Any, query: Any) -> tuple[AuditFilter, QuerySet[AuditEntry]]:
    form = AuditFilter(query)
    if not form.is_valid():
        raise BadQuery({name: [str(e) for e in errors] for name, errors in form.errors.items()}, {name: field.label for name, field in form.fields.items()})
    data = form.cleaned_data
    entries = visible_entries(user)
    entries = entries.filter(model=SIGN_IN) if data["kind"] == "signins" else entries.exclude(model=SIGN_IN)
    if data["user"]:
        entries = entries.filter(username=data["user"].strip())
    if data["source"]:
        entries = entries.filter(source=data["source"])
    if data["model"] and data["kind"] != "signins":
        entries = entries.filter(model=data["model"])
    if data["object_id"]:
        entries = entries.filter(object_id=data["object_id"].strip())
    tz = timezone.get_current_timezone()
    if data["start"]:
        entries = entries.filter(at__gte=datetime.combine(data["start"], time.min, tz))
    if data["end"]:
        entries = entries.filter(at__lt=datetime.combine(data["end"] + timedelta(days=1), time.min, tz))
    return form, entries.order_by("-seq")


def _labels() -> dict[str, str]:
    return {**dict(model_choices()), SIGN_IN: _("登录")}


def _rows(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    labels, sources = _labels(), dict(Source.choices)
    return [{"entry": e, "model_label": labels.get(e.model, e.model), "action_label": ACTIONS.get(e.action, e.action),
             "source_label": sources.get(e.source, e.source)} for e in entries]


@login_required
def audit_log(request: AuthenticatedRequest) -> HttpResponse:
    require_admin(request.user)
    form, entries = filtered(request.user, request.GET)
    before = form.cleaned_data["before"]
    if before:
        entries = entries.filter(seq__lt=before)
    # Pages by position in the chain (newest first), not by OFFSET: page 1,000 costs what page 1 does.
    page = list(entries[:PER_PAGE + 1])
    more = len(page) > PER_PAGE
    page = page[:PER_PAGE]
    query = request.GET.copy()
    query.pop("before", None)
    return render(request, "core/audit_log.html", {
        "form": form, "rows": _rows(page), "query": query.urlencode(),
        "next_before": page[-1].seq if more and page else None,
        "signins": form.cleaned_data["kind"] == "signins",
    })


@login_required
def audit_export(request: AuthenticatedRequest) -> HttpResponse:
    require_admin(request.user)
    _form, entries = filtered(request.user, request.GET)
    rows = _rows(list(entries[:EXPORT_LIMIT]))
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "remove_timezone": True})
    sheet = book.add_worksheet(_("审计日志"))
    head = book.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7"})
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    headers = [_("序号"), _("时间"), _("用户"), _("来源"), _("IP 地址"), _("对象类型"), _("对象编号"), _("对象"), _("操作")]
    sheet.write_row(0, 0, headers, head)
    tz = timezone.get_current_timezone()
    for n, row in enumerate(rows, start=1):
        e = row["entry"]
        sheet.write_number(n, 0, e.seq)
        sheet.write_datetime(n, 1, timezone.localtime(e.at, tz).replace(tzinfo=None), when)
        sheet.write_row(n, 2, [e.username, str(row["source_label"]), e.ip or "", str(row["model_label"]), e.object_id,
                               e.object_repr, str(row["action_label"])])
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 20)
    sheet.set_column(2, 8, 16)
    book.close()
    return xlsx_download(buffer.getvalue(), f"{_('审计日志')}.xlsx")


@login_required
def object_history(request: AuthenticatedRequest, model: str, object_id: str) -> HttpResponse:
    """Every history row of one object, each with what it changed; for a deleted object too."""
    require_admin(request.user)
    if model not in dict(model_choices()):
        raise Http404
    links = {e.row_id: e for e in visible_entries(request.user).filter(model=model, object_id=object_id)}
    if not links:
        raise Http404
    tracked = apps.get_model(model)
    history = tracked.history.model  # simple-history's manager
    rows = list(history._base_manager.filter(pk__in=list(links)).order_by("history_date", "pk"))
    fields = [f for f in history.tracked_fields]
    changes, previous = [], None
    for row in rows:
        changed = [(f.verbose_name, _shown(previous, f) if previous else "", _shown(row, f)) for f in fields
                   if previous is None or getattr(previous, f.attname) != getattr(row, f.attname)]
        changes.append({"entry": links[row.pk], "row": row, "action_label": ACTIONS.get(row.history_type, ""),
                        "source_label": dict(Source.choices).get(row.history_source, row.history_source),
                        "changed": changed if row.history_type != "-" else
                        [(f.verbose_name, "", _shown(row, f)) for f in fields]})
        previous = row
    changes.reverse()
    return render(request, "core/audit_object.html", {
        "model_label": tracked._meta.verbose_name, "object_id": object_id, "changes": changes,
        "deleted": bool(rows) and rows[-1].history_type == "-",
        "title": (links[rows[-1].pk].object_repr if rows else "") or f"#{object_id}",
    })


def _shown(row: Any, field: Any) -> str:
    value = getattr(row, field.attname)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)

