"""Photos of progress (形象进度) and documents of a project, uploaded on the project's page or
with a monthly report. Stored under the media folder with names the server chooses, never
served from it directly: ``views.py`` hands a file to whoever may view its project."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.core.versions import Touched
from keyprojects.projects.models import Project
from keyprojects.reporting.models import ProgressReport

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


def stored_name(instance: ProjectFile, filename: str) -> str:
    """``projects/<project>/<random>.<kind>``: the uploader's name is kept in ``name`` only."""
    return f"projects/{instance.project_id}/{uuid.uuid4().hex}.{filename.rsplit('.', 1)[-1].lower()}"


def thumbnail_name(instance: ProjectFile, filename: str) -> str:
    return f"projects/{instance.project_id}/thumbs/{uuid.uuid4().hex}.jpg"


class ProjectFileQuerySet(models.QuerySet["ProjectFile"]):
    def visible_to(self, user: Viewer) -> ProjectFileQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class ProjectFile(models.Model):
    class Kind(models.TextChoices):
        PHOTO = "photo", _("现场照片")
        DOCUMENT = "document", _("文件")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="files")
    report = models.ForeignKey(ProgressReport, verbose_name=_("月报"), null=True, blank=True,
                               on_delete=models.CASCADE, related_name="files")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    # what the content is (jpg, png, pdf, docx), judged from its bytes: it sets the type it is served as
    content = models.CharField(_("文件格式"), max_length=8)
    file = models.FileField(_("文件"), upload_to=stored_name, max_length=255)
    thumbnail = models.FileField(_("缩略图"), upload_to=thumbnail_name, max_length=255, blank=True)
    name = models.CharField(_("文件名"), max_length=200)
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    objects = ProjectFileQuerySet.as_manager()
    history = audited()

    scope_paths: dict[str, Any] = {"region": "project__region", "responsible_unit": "project__responsible_unit",
                                   "owner": "project__owner"}

    class Meta:
        verbose_name = _("项目照片与文件")
        verbose_name_plural = _("项目照片与文件")
        ordering = ["-uploaded_at", "-pk"]
        indexes = [models.Index(fields=["project", "-uploaded_at"])]

    def __str__(self) -> str:
        return self.caption or self.name

    def touched(self) -> Touched:
        return set()  # no figure counts files
