"""Uploads of a project's photos and documents: checked by their content, stored under names
the server chooses, a thumbnail made for each photo at upload."""

from __future__ import annotations

import io
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import Actor, require
from keyprojects.core.uploads import require_kind
from keyprojects.core.validation import validate
from keyprojects.projects.models import Project
from keyprojects.reporting.models import ProgressReport

from .models import ProjectFile

PHOTO_KINDS = ("jpg", "png")
DOCUMENT_KINDS = ("pdf", "docx")
MAX_MB = 10  # a phone's photo or a scanned document
MAX_PIXELS = 60_000_000  # past this a "photo" is a decompression bomb, not a site photo
THUMBNAIL = (480, 480)


@acting_as
@transaction.atomic
def add_file(user: Actor, project_id: int, upload: Any, caption: str = "") -> ProjectFile:
    """A photo (JPG, PNG) or a document (PDF, Word) of the project, by whoever may edit it."""
    project = Project.objects.select_for_update().get(pk=project_id)
    require(user, "edit", project)
    return store(user, project, upload, caption)


def store(user: Actor, project: Project, upload: Any, caption: str = "", report: ProgressReport | None = None,
          kinds: tuple[str, ...] = PHOTO_KINDS + DOCUMENT_KINDS) -> ProjectFile:
    """Check ``upload`` and keep it as a file of ``project`` (and of ``report``); the caller
    holds the transaction and has checked the user may add it."""
    content = require_kind(upload, kinds, MAX_MB)
    photo = content in PHOTO_KINDS
    item = ProjectFile(project=project, report=report, kind=ProjectFile.Kind.PHOTO if photo else ProjectFile.Kind.DOCUMENT,
                       content=content, name=(getattr(upload, "name", "") or "")[-200:] or f"file.{content}",
                       caption=caption.strip(), uploaded_by=recorded(user))
    thumbnail = _thumbnail(upload) if photo else None
    upload.seek(0)
    item.file.save(f"upload.{content}", upload, save=False)
    if thumbnail is not None:
        item.thumbnail.save("thumb.jpg", ContentFile(thumbnail), save=False)
    validate(item)
    item.save()
    return item


def _thumbnail(upload: Any) -> bytes:
    """A JPEG at most ``THUMBNAIL`` in size, upright (EXIF orientation); refuses what Pillow
    cannot read as an image of the kind its first bytes claim."""
    refused = ValidationError({"file": _("照片无法识别（文件已损坏或不是照片）")})
    try:
        upload.seek(0)
        with Image.open(upload) as checked:
            if checked.width * checked.height > MAX_PIXELS:
                raise ValidationError({"file": _("照片像素过大（超过 6000 万像素）")})
            checked.verify()  # the whole file, not only its header
        upload.seek(0)
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened)
            image.thumbnail(THUMBNAIL)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=82)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
