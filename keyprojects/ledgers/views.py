"""The upload page: choose a ledger, preview what would be imported (nothing is written),
then confirm. The preview and the import are background jobs (``tasks.preview_upload``,
``tasks.import_upload``): a request only stores the file or enqueues, never holds the database
for the file's length; the page shows each job's progress, then its result; a job whose worker
stopped may be run again. The same importer as `keyprojects import_ledger`, acting as the user."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tasks import TaskResult, TaskResultStatus

from keyprojects.accounts.models import User
from keyprojects.core import jobs
from keyprojects.core.forms import StyledForm, field_of
from keyprojects.core.http import AuthenticatedRequest, client_ip, xlsx_download
from keyprojects.core.permissions import can_create_project, regions_for
from keyprojects.projects.forms import DATE_INPUT
from keyprojects.projects.models import Nature, Project, Stage
from keyprojects.regions.models import Region

from . import choices, mapping, messages
from .importer import QUARTER_MODES
from .layout import COLUMNS
from .tasks import import_upload, preview_upload, upload_path

STEPS = {"import": import_upload, "preview": preview_upload}  # the upload's jobs, by step


class UploadForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("台账文件"), help_text=gettext_lazy(".xlsx、.xls 或 .csv（UTF-8/GBK/GB18030）"))
    year = forms.IntegerField(label=gettext_lazy("计划年度"), min_value=2000, max_value=2100, required=False,
                              help_text=gettext_lazy("留空则取标题中的“20XX年”"))
    region = forms.ModelChoiceField(label=gettext_lazy("所属区划"), queryset=Region.objects.none())
    as_of = forms.DateField(label=gettext_lazy("统计日期"), required=False, widget=DATE_INPUT,
                            help_text=gettext_lazy("留空则按标题“截至N月N日”或表头“1-N月”推断"))
    skip_invalid = forms.BooleanField(label=gettext_lazy("跳过无效行，导入其余"), required=False)
    fix_encoding = forms.BooleanField(label=gettext_lazy("接受乱码的自动修复"), required=False)
    # What a row takes when the ledger has no column for it (or leaves the cell blank).
    default_level = forms.ChoiceField(label=gettext_lazy("缺“项目级别”时取"), required=False,
                                      choices=[("", gettext_lazy("未选择：市重点，并在结果中列出")), *Project.Level.choices])
    default_project_type = forms.ChoiceField(label=gettext_lazy("缺“项目类型”时取"), required=False,
                                             choices=[("", gettext_lazy("未选择：产业项目，并在结果中列出")), *Project.Type.choices])
    default_nature = forms.ChoiceField(label=gettext_lazy("缺“建设性质”时取"), required=False,
                                       choices=[("", gettext_lazy("未选择：新开工，并在结果中列出")), *Nature.choices])
    default_stage = forms.ChoiceField(label=gettext_lazy("缺“建设阶段”时取"), required=False,
                                      choices=[("", gettext_lazy("未选择：按是否开工推断")), *Stage.choices])

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = field_of(self, "region", forms.ModelChoiceField)
        regions.queryset = regions_for(user, "edit").exclude(level=Region.Level.PROVINCE)
        if user.region is not None:
            self.initial.setdefault("region", user.region.pk)

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".csv"):
            raise forms.ValidationError(_("只接受 .xlsx、.xls 或 .csv 文件"))
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 50 MB"))
        return upload


def _stash(upload: UploadedFile) -> str:
    token = f"{uuid.uuid4().hex}{Path(upload.name or '').suffix.lower()}"
    path = upload_path(token)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


@login_required
def upload(request: AuthenticatedRequest) -> HttpResponse:
    if not can_create_project(request.user):
        raise PermissionDenied(_("您没有导入台账的权限"))
    if request.method == "POST" and "confirm" in request.POST:
        return _confirm(request)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options = {"year": data["year"], "region": data["region"].pk, "skip_invalid": data["skip_invalid"],
                   "fix_encoding": data["fix_encoding"], "as_of": data["as_of"].isoformat() if data["as_of"] else "",
                   "defaults": {name: data[f"default_{name}"] for name in choices.FIELDS if data[f"default_{name}"]}}
        preview = preview_upload.enqueue(user=request.user.pk, stored=_stash(data["file"]), name=data["file"].name,
                                         options=options, ip=client_ip(request))
        request.session["ledger_upload"] = {"preview": preview.id}  # the one preview a confirmation may import
        return _job_page(request, preview, "ledgers/upload.html", form)
    return render(request, "ledgers/upload.html", {"form": form})


def _confirm(request: AuthenticatedRequest) -> HttpResponse:
    """Import what the user's latest preview read (a confirmation from an older page is refused)."""
    preview = _own_job(request, request.POST["confirm"], "preview")
    pending = request.session.get("ledger_upload") or {}
    if pending.get("preview") != preview.id or not _state(preview)["can_confirm"]:
        form = UploadForm(user=request.user)
        return render(request, "ledgers/upload.html", {"form": form, "error": _(
            "这次预览已确认过，或已有更新的预览：请按最新的预览确认，或重新上传")})
    del request.session["ledger_upload"]
    job = import_upload.enqueue(**{k: preview.kwargs[k] for k in ("user", "stored", "name", "options")},
                                ip=client_ip(request))
    return _job_page(request, job, "ledgers/upload.html")


@login_required
def job_problems(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Every problem and warning of a preview or import the user started, as an .xlsx."""
    found, name = _job_result(request, token, _("没有可下载的导入问题"))
    return xlsx_download(messages.workbook(found.get("table", [])), f"{name}_导入问题.xlsx")


@login_required
def job_changes(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Every change a preview (or an import) found in the stored projects, as an .xlsx."""
    found, name = _job_result(request, token, _("没有可下载的变更"))
    return xlsx_download(messages.workbook(found.get("change_rows", []), "变更", messages.CHANGES_HEADER),
                         f"{name}_变更.xlsx")


def _job_result(request: AuthenticatedRequest, token: str, missing: str) -> tuple[dict[str, Any], str]:
    """The result of a preview or import the user started, and its file's name (404: none)."""
    step = "preview" if jobs.find(preview_upload, token) is not None else "import"
    result = _own_job(request, token, step)
    outcome = result.return_value if result.status == TaskResultStatus.SUCCESSFUL else None
    if not outcome or not outcome.get("result"):
        raise Http404(missing)
    return outcome["result"], Path(result.kwargs["name"]).stem


MAP_FIELDS = [("", "—（不导入）")] + [(name, label) for name, _pattern, label in COLUMNS]


@require_POST
@login_required
def remap(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The preview's mapping step: preview the same file again with the columns, header row and
    quarter amounts as the user says (by column letter: ``map_B=name``, ``unit_B=亿元``)."""
    result = _own_job(request, token, "preview")
    if not upload_path(result.kwargs["stored"]).exists():
        raise Http404(_("上传的文件已不存在，请重新上传"))
    columns = {}
    fields = {name for name, _label in MAP_FIELDS}
    for key, value in request.POST.items():
        if key.startswith("map_") and value in fields:
            letter = key[4:]
            unit = request.POST.get(f"unit_{letter}", "")
            columns[letter] = f"{value}:{unit}" if value and unit in ("亿元", "元") else value
    header_row = request.POST.get("header_row", "").strip()
    options = {**result.kwargs["options"], "columns": columns,
               "header_row": int(header_row) if header_row.isdigit() else None,
               "quarters": request.POST.get("quarters") if request.POST.get("quarters") in QUARTER_MODES else None}
    try:
        mapping.check(columns)
    except mapping.MappingError as exc:
        return _job_page(request, result, "ledgers/upload.html", UploadForm(user=request.user), error=str(exc))
    again = preview_upload.enqueue(**{k: result.kwargs[k] for k in ("user", "stored", "name")}, options=options,
                                   ip=client_ip(request))
    request.session["ledger_upload"] = {"preview": again.id}
    return redirect("ledgers:preview", again.id)


@login_required
def job(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """A confirmed import's progress, then its result: the whole page, or (polled by htmx)
    just the card, which stops polling once the job has ended."""
    return _job_page(request, _own_job(request, token), "ledgers/_job.html" if request.htmx else "ledgers/upload.html")


@login_required
def preview(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """A preview's progress, then what the import would do, with the button that confirms it."""
    result = _own_job(request, token, "preview")
    if request.htmx:
        return _job_page(request, result, "ledgers/_preview.html")
    return _job_page(request, result, "ledgers/upload.html", UploadForm(user=request.user))


@require_POST
@login_required
def retry(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Run a failed preview or import again (its worker stopped), from the file it kept."""
    step = next((step for step, task in STEPS.items() if jobs.find(task, token) is not None), "import")
    result = _own_job(request, token, step)
    if not _state(result)["can_retry"]:
        raise Http404(_("这个任务不能重试"))
    again = jobs.retry(result)
    if step == "preview":
        request.session["ledger_upload"] = {"preview": again.id}
        return redirect("ledgers:preview", again.id)
    return redirect("ledgers:job", again.id)


def _own_job(request: AuthenticatedRequest, token: str, step: str = "import") -> TaskResult[dict[str, Any]]:
    """The import (or preview) job ``token``, if the user started it."""
    result = jobs.find(STEPS[step], token)
    if result is None or result.kwargs.get("user") != request.user.pk:
        raise Http404(_("没有这个导入任务"))
    return result


def _is_preview(result: TaskResult[dict[str, Any]]) -> bool:
    return result.task.module_path == preview_upload.module_path


def _state(result: TaskResult[dict[str, Any]]) -> dict[str, Any]:
    """What the job's card shows: state running (queued or not), done or failed; the rows done
    of the total; the importer's summary; why it failed; whether it may run again; for a
    preview, whether it may be confirmed."""
    state = {"name": result.kwargs["name"], "state": "running", "queued": False, "done": 0, "total": 0,
             "result": None, "error": "", "can_retry": False, "can_confirm": False, "can_remap": False}
    if result.status in (TaskResultStatus.READY, TaskResultStatus.RUNNING):
        done, total = jobs.progress(result.id)
        return {**state, "queued": result.status == TaskResultStatus.READY, "done": done, "total": total}
    if result.status == TaskResultStatus.SUCCESSFUL:
        outcome = result.return_value
        assert outcome is not None  # (the jobs return a dict)
        return {**state, "state": "done" if outcome["outcome"] == "done" else "failed",
                "result": outcome["result"], "error": outcome["error"],
                "can_confirm": outcome.get("can_confirm", False) and upload_path(result.kwargs["stored"]).exists(),
                "can_remap": outcome["result"] is not None and upload_path(result.kwargs["stored"]).exists()}
    kept = upload_path(result.kwargs["stored"]).exists()
    if _is_preview(result):
        if jobs.died(result):
            error = (_("预览中断：处理任务的后台进程已停止，可重试") if kept else
                     _("预览中断：处理任务的后台进程已停止；上传的文件已不在（已重试或已过期清理），请重新上传"))
        else:
            error = _("预览出错：%(error)s") % {"error": jobs.error_line(result)}
    elif jobs.died(result):
        error = (_("导入中断：处理任务的后台进程已停止，未导入任何数据，可重试") if kept else
                 _("导入中断：处理任务的后台进程已停止，这次未导入任何数据；上传的文件已不在（已重试或已过期清理）"))
    else:
        error = _("导入出错：%(error)s") % {"error": jobs.error_line(result)}
    return {**state, "state": "failed", "error": error, "can_retry": kept}


def _job_page(request: AuthenticatedRequest, result: TaskResult[dict[str, Any]], template: str,
              form: UploadForm | None = None, error: str = "") -> HttpResponse:
    state = _state(result)
    percent = int(100 * state["done"] / state["total"]) if state["total"] else 0
    preview = _is_preview(result)
    return render(request, template, {
        "form": form, "job": None if preview else state, "preview_job": state if preview else None,
        "token": result.id, "percent": percent,
        # (as the page was read before previews were jobs)
        "result": state["result"] if preview else None, "can_confirm": state["can_confirm"], "error": error,
        "map_fields": MAP_FIELDS, "quarter_modes": QUARTER_MODES,
        "options": result.kwargs.get("options", {}),
    })
