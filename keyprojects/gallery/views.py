"""A project's photos and documents: upload, and each file served to whoever may view its
project (a 404 to anyone else, as any object outside their scope)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.forms import apply_posted
from keyprojects.core.http import AuthenticatedRequest, file_download, file_inline
from keyprojects.projects.models import Project

from . import services
from .forms import FileForm
from .models import ProjectFile

CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


@login_required
@require_POST
def upload(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    project = get_object_or_404(Project.objects.visible_to(request.user), pk=pk)
    apply_posted(request, FileForm(request.POST, request.FILES),
                 lambda data: services.add_file(request.user, project.pk, data["file"], data["caption"]), _("已上传"))
    return redirect(reverse("projects:detail", args=[project.pk]) + "#gallery")


def _visible(request: AuthenticatedRequest, pk: int) -> ProjectFile:
    return get_object_or_404(ProjectFile.objects.visible_to(request.user), pk=pk)


@login_required
def file(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """A photo shown as itself (inline, its judged type); a document as a download."""
    item = _visible(request, pk)
    if item.content in CONTENT_TYPES:
        return file_inline(item.file, item.name, CONTENT_TYPES[item.content])
    return file_download(item.file, item.name)


@login_required
def thumbnail(request: AuthenticatedRequest, pk: int) -> FileResponse:
    item = _visible(request, pk)
    if not item.thumbnail:
        raise Http404(_("该文件没有缩略图"))
    return file_inline(item.thumbnail, f"thumb-{item.name.rsplit('.', 1)[0]}.jpg", "image/jpeg")
