"""Briefing pages: the archive (published issues, and the drafts for who manages them), generate a
draft, preview it, edit its free text, refresh its figures, approve, publish, download .docx/.pdf,
and a region's Word template. Views parse, call one service, render."""

from __future__ import annotations

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.forms import performed, submitted
from keyprojects.core.http import AuthenticatedRequest, file_download
from keyprojects.core.paging import Paginator
from keyprojects.core.params import query_id
from keyprojects.core.permissions import administers, regions_for
from keyprojects.regions.models import Region

from . import render as rendering
from . import services
from .forms import GenerateForm, TemplateForm, TextForm
from .models import Briefing, BriefingTemplate
from .word.make_template import TEMPLATE

PAGE_SIZE = 30


def _briefings(request: AuthenticatedRequest) -> QuerySet[Briefing]:
    return Briefing.objects.readable_by(request.user).select_related("region")


def _may_generate(request: AuthenticatedRequest) -> bool:
    return request.user.is_superuser or request.user.role == "city_admin"


@login_required
def briefing_list(request: AuthenticatedRequest) -> HttpResponse:
    found = _briefings(request)
    state = request.GET.get("state", "")
    if state in Briefing.State.values:
        found = found.filter(state=state)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "briefings/list.html", {
        "page": page, "state": state, "states": Briefing.State.choices, "can_generate": _may_generate(request)})


@login_required
def generate(request: AuthenticatedRequest) -> HttpResponse:
    form = GenerateForm(request.POST or None, user=request.user, initial={"region": request.user.region})
    if request.method == "POST" and (briefing := submitted(form, lambda: services.generate(
            request.user, *(form.cleaned_data[k] for k in ("region", "year", "as_of", "kind"))))):
        messages.success(request, _("简报草稿已生成，请核对后修改文字、审核和发布"))
        return redirect("briefings:detail", pk=briefing.pk)
    return render(request, "briefings/generate.html", {"form": form})


@login_required
def detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    briefing = get_object_or_404(_briefings(request), pk=pk)
    can_manage = administers(request.user, briefing.region)
    form = TextForm(initial={"headline": briefing.headline, "next_steps": briefing.next_steps,
                             "editor_note": briefing.editor_note, "version": briefing.version})
    return _detail(request, briefing, form, can_manage)


def _detail(request: AuthenticatedRequest, briefing: Briefing, form: TextForm, can_manage: bool) -> HttpResponse:
    history = briefing.history.select_related("history_user").order_by("-history_date", "-history_id")[:20]
    return render(request, "briefings/detail.html", {
        "briefing": briefing, "form": form, "can_manage": can_manage, "history": history,
        "body": rendering.html(briefing.content, services.text_of(briefing), for_print=False),
    })


@login_required
@require_POST
def edit(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    briefing = get_object_or_404(_briefings(request), pk=pk)
    form = TextForm(request.POST)
    if submitted(form, lambda: services.edit(request.user, briefing.pk, form.cleaned_data.get("version"),
                                             form.cleaned_data)):
        messages.success(request, _("简报文字已保存"))
        return redirect("briefings:detail", pk=briefing.pk)
    briefing.refresh_from_db()
    return _detail(request, briefing, form, administers(request.user, briefing.region))


def _act(request: AuthenticatedRequest, pk: int, action: str, done: str) -> HttpResponse:
    briefing = get_object_or_404(_briefings(request), pk=pk)
    version = request.POST.get("version")
    performed(request, lambda: getattr(services, action)(
        request.user, briefing.pk, int(version) if version and version.isdigit() else None), done)
    return redirect("briefings:detail", pk=briefing.pk)


@login_required
@require_POST
def refresh(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "refresh", _("已按最新数据重新生成草稿"))


@login_required
@require_POST
def approve(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "approve", _("简报已审核"))


@login_required
@require_POST
def publish(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    return _act(request, pk, "publish", _("简报已发布并归档"))


@login_required
def download(request: AuthenticatedRequest, pk: int, fmt: str) -> HttpResponse | FileResponse:
    """A published issue's stored file; a draft's rendered now from its snapshot."""
    briefing = get_object_or_404(_briefings(request), pk=pk)
    stored = briefing.docx if fmt == "docx" else briefing.pdf
    name = f"{briefing.file_stem}.{fmt}"
    if briefing.state == Briefing.State.PUBLISHED and stored:
        return file_download(stored, name)
    if fmt == "docx":
        response = HttpResponse(services.docx_of(briefing), content_type=rendering.DOCX)
    else:
        response = HttpResponse(services.pdf_of(briefing), content_type="application/pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response


@login_required
def template(request: AuthenticatedRequest) -> HttpResponse:
    """The Word template of the user's region: download the one in use, upload one, go back to the
    default."""
    regions = regions_for(request.user, "view").filter(
        level__in=[Region.Level.PROVINCE, Region.Level.PREFECTURE, Region.Level.COUNTY]).order_by("code")
    region = get_object_or_404(regions, pk=query_id(request.GET, "region", _("区划")) or getattr(request.user.region, "pk", 0) or 0)
    form = TemplateForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if request.POST.get("remove"):
            services.remove_template(request.user, region)
            messages.success(request, _("已恢复为默认模板"))
            return redirect(f"{request.path}?region={region.pk}")
        if submitted(form, lambda: services.upload_template(request.user, region, form.cleaned_data["file"])):
            messages.success(request, _("模板已上传，此后生成的简报使用该模板"))
            return redirect(f"{request.path}?region={region.pk}")
    own = BriefingTemplate.objects.filter(region=region).first()
    return render(request, "briefings/template.html", {
        "region": region, "own": own, "form": form, "can_manage": administers(request.user, region)})


@login_required
def template_download(request: AuthenticatedRequest) -> FileResponse:
    """The default template, or the region's own (``?region=``)."""
    own = None
    if wanted := query_id(request.GET, "region", _("区划")):
        region = get_object_or_404(regions_for(request.user, "view"), pk=wanted)
        own = BriefingTemplate.objects.filter(region=region).first()
    if own is not None:
        return file_download(own.file, f"{own.region.name}简报模板.docx")
    return file_download(_Default(), "简报模板（默认）.docx")


class _Default:
    """The committed template as ``file_download`` opens a stored file."""

    def open(self, mode: str = "rb"):  # noqa: ANN201  (a file object)
        return TEMPLATE.open(mode)
