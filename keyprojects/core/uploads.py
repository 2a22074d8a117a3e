"""What an uploaded file is, judged by its content, never by its name: a photo, a PDF, a Word
document. A renamed executable or a page of script named ``minutes.pdf`` is refused."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Collection
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

LABELS = {"jpg": "JPG", "png": "PNG", "pdf": "PDF", "docx": "Word (.docx)"}
# The names each kind may carry: a PDF named "x.html" is refused too (a browser or a desktop may
# go by the name when the file is saved and opened).
EXTENSIONS = {"jpg": {"jpg", "jpeg"}, "png": {"png"}, "pdf": {"pdf"}, "docx": {"docx"}}


def sniff(upload: IO[bytes] | Any) -> str | None:
    """The kind of ``upload`` by its first bytes ("jpg", "png", "pdf" or "docx"), or None. A .docx
    is a zip archive holding ``word/document.xml``. The file is left at its start."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04") and _holds(upload, "word/document.xml"):
        return "docx"
    return None


def _holds(upload: IO[bytes] | Any, member: str) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:  # (reads the directory only: nothing is unpacked)
            return member in archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return False
    finally:
        upload.seek(0)


def require_kind(upload: Any, kinds: Collection[str], max_mb: int, field: str = "file") -> str:
    """The kind of ``upload`` if it is one of ``kinds`` and at most ``max_mb`` MB; otherwise a
    ValidationError on ``field`` saying what is accepted."""
    if upload.size > max_mb * 1024 * 1024:
        raise ValidationError({field: _("文件不能超过 %(mb)s MB") % {"mb": max_mb}})
    kind = sniff(upload)
    if kind is None or kind not in kinds:
        accepted = "、".join(LABELS[k] for k in kinds)
        raise ValidationError({field: _("只接受 %(kinds)s 文件（按文件内容判断，不看扩展名）") % {"kinds": accepted}})
    name = getattr(upload, "name", "") or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS[kind]:
        raise ValidationError({field: _("文件名“%(name)s”的扩展名与内容（%(kind)s）不符，应为 %(ext)s") % {
            "name": name[-60:], "kind": LABELS[kind], "ext": "、".join(f".{e}" for e in sorted(EXTENSIONS[kind]))}})
    return kind


def store_as(upload: Any, kind: str) -> str:
    """Give ``upload`` a name the server chose (random, with its kind's extension) for storage;
    returns the uploader's name, kept only as a label (a download's name)."""
    original = (getattr(upload, "name", "") or "")[-200:] or f"file.{kind}"
    upload.name = f"{uuid.uuid4().hex}.{kind}"
    return original
