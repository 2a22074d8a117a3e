"""The upload page: choose a ledger, preview what would be imported (nothing is written),
then confirm: the import runs in the background (``jobs.py``) and the page shows its progress.
The same importer as `keyprojects import_ledger`, acting as the user."""

from __future__ import annotations

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.core.audit import Source, audit_context
from keyprojects.core.forms import StyledForm
from keyprojects.core.permissions import can_create_project, regions_for
from keyprojects.projects.forms import DATE_INPUT
from keyprojects.regions.models import Region

from . import jobs
from .importer import Importer, ImportFailed
from .reader import LedgerFileError

UPLOADS = "ledger_uploads"


class UploadForm(StyledForm):
    file = forms.FileField(label=gettext_lazy("台账文件"), help_text=gettext_lazy(".xlsx、.xls 或 .csv（UTF-8/GBK/GB18030）"))
    year = forms.IntegerField(label=gettext_lazy("计划年度"), min_value=2000, max_value=2100)
    region = forms.ModelChoiceField(label=gettext_lazy("所属区划"), queryset=Region.objects.none())
    as_of = forms.DateField(label=gettext_lazy("统计日期"), required=False, widget=DATE_INPUT,
                            help_text=gettext_lazy("留空则按表头“1-N月”推断"))
    skip_invalid = forms.BooleanField(label=gettext_lazy("跳过无效行，导入其余"), required=False)
    fix_encoding = forms.BooleanField(label=gettext_lazy("接受乱码的自动修复"), required=False)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions_for(user, "edit").exclude(level=Region.Level.PROVINCE)
        if user.region is not None:
            self.initial.setdefault("region", user.region.pk)
        self.initial.setdefault("year", timezone.localdate().year)  # a ledger is usually this year's

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in (".xlsx", ".xlsm", ".xls", ".csv"):
            raise forms.ValidationError(_("只接受 .xlsx、.xls 或 .csv 文件"))
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过 50 MB"))
        return upload


def _stash(upload) -> str:
    folder = Path(settings.MEDIA_ROOT) / UPLOADS
    folder.mkdir(parents=True, exist_ok=True)
    token = f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
    with (folder / token).open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return token


def _importer(request: HttpRequest, options: dict, dry_run: bool) -> Importer:
    region = Region.objects.get(pk=options["region"])
    return Importer(request.user, options["year"], region, as_of=_date(options.get("as_of")),
                    skip_invalid=options["skip_invalid"], dry_run=dry_run, fix_encoding=options["fix_encoding"])


def _preview(request: HttpRequest, path: Path, name: str, options: dict):
    importer = _importer(request, options, dry_run=True)
    with audit_context(Source.IMPORT, user=request.user, detail=f"上传台账 {name}"[:200],
                       ip=request.META.get("REMOTE_ADDR")):
        try:
            return importer.run(path, name), None
        except ImportFailed as failed:
            return failed.result, failed
        except LedgerFileError as exc:
            return None, exc


def _date(value):
    from datetime import date

    return date.fromisoformat(value) if value else None


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    if not can_create_project(request.user):
        raise PermissionDenied(_("您没有导入台账的权限"))
    pending = request.session.get("ledger_upload")
    if request.method == "POST" and "confirm" in request.POST and pending:
        del request.session["ledger_upload"]
        importer = _importer(request, pending["options"], dry_run=False)
        token, run = jobs.prepare(importer, Path(settings.MEDIA_ROOT) / UPLOADS / pending["token"],
                                  pending["name"], ip=request.META.get("REMOTE_ADDR"))
        # The job starts once this response has been sent (the server calls close()): on SQLite
        # the page's queries and the session's save would otherwise wait for the import's write
        # lock. The polls that follow read only the job's file.
        response = _job_page(request, token, "ledgers/upload.html")
        sent = response.close

        def close() -> None:
            sent()
            jobs.in_background(run)

        response.close = close  # type: ignore[method-assign]
        return response
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        token = _stash(data["file"])
        options = {"year": data["year"], "region": data["region"].pk, "skip_invalid": data["skip_invalid"],
                   "fix_encoding": data["fix_encoding"], "as_of": data["as_of"].isoformat() if data["as_of"] else ""}
        result, error = _preview(request, Path(settings.MEDIA_ROOT) / UPLOADS / token, data["file"].name, options)
        can_confirm = error is None and result is not None and (result.created or result.updated)
        if can_confirm:
            request.session["ledger_upload"] = {"token": token, "name": data["file"].name, "options": options}
        return render(request, "ledgers/upload.html", {"form": form, "result": result, "error": error,
                                                       "preview": True, "can_confirm": can_confirm})
    return render(request, "ledgers/upload.html", {"form": form})


@login_required
def job(request: HttpRequest, token: str) -> HttpResponse:
    """A confirmed import's progress, then its result: the whole page, or (polled by htmx)
    just the card, which stops polling once the job has ended."""
    return _job_page(request, token, "ledgers/_job.html" if request.htmx else "ledgers/upload.html")


def _job_page(request: HttpRequest, token: str, template: str) -> HttpResponse:
    state = jobs.read(token, request.user)
    if state is None:
        raise Http404(_("没有这个导入任务"))
    percent = int(100 * state["done"] / state["total"]) if state["total"] else 0
    return render(request, template, {"form": None, "job": state, "token": token, "percent": percent})
