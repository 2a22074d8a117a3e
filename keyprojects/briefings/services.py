"""A briefing's operations: generate a draft from the figures, refresh its figures, edit its free
text, approve it, publish it (numbered, its files rendered and stored), and a region's own Word
template. Generating, editing, approving and publishing are the region's administrators'
(``core.permissions.require_admin``: a city admin for the city and its counties; an admin whose
unit is a county's for that county); everyone who may view the region reads the archive.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import acting_as
from keyprojects.core.permissions import Actor, require, require_admin, require_view_region
from keyprojects.core.uploads import require_kind
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region

from . import content, render
from .models import Briefing, BriefingTemplate

TEMPLATE_MB = 10
EDITABLE = ("headline", "next_steps", "editor_note")


def issuer(user: Actor, region: Region) -> str:
    """Who issues the briefing: the user's unit when it is the region's, else the commission."""
    unit = getattr(user, "unit", None)
    if unit is not None and unit.region_id == region.pk:
        return str(unit.name)
    return f"{region.name}发展和改革委员会"


def text_of(briefing: Briefing) -> render.Text:
    issue = (f"{briefing.year}年第{briefing.number}期（{briefing.get_kind_display()}）" if briefing.number
             else f"（{briefing.get_state_display()}，发布时编号）")
    return render.Text(briefing.title, issue, briefing.content.get("issuer", ""), briefing.headline,
                       briefing.next_steps, briefing.editor_note)


def template_for(region: Region) -> Any:
    """The Word template of ``region``, or of the nearest region above it that uploaded one
    (None: the default)."""
    regions = [region, *reversed(region.ancestors())]
    found = {t.region_id: t for t in BriefingTemplate.objects.filter(region__in=regions)}
    for r in regions:
        if r.pk in found:
            return found[r.pk].file.path
    return None


def docx_of(briefing: Briefing) -> bytes:
    """The briefing as .docx from its snapshot and text, in its region's template."""
    return render.docx(briefing.content, text_of(briefing), template_for(briefing.region))


def pdf_of(briefing: Briefing) -> bytes:
    return render.pdf(briefing.content, text_of(briefing))


def _locked(pk: int) -> Briefing:
    return Briefing.objects.select_for_update(of=("self",)).select_related("region").get(pk=pk)


def _may_manage(user: User, briefing: Briefing) -> None:
    require(user, "view", briefing)
    require_admin(user, briefing.region)


def _require_state(briefing: Briefing, *states: str) -> None:
    if briefing.state not in states:
        labels = "、".join(str(Briefing.State(s).label) for s in states)
        raise ValidationError(_("该简报当前状态为“%(state)s”，只有“%(wanted)s”的简报可以这样操作")
                              % {"state": briefing.get_state_display(), "wanted": labels})


def _saved(briefing: Briefing) -> Briefing:
    briefing.version += 1
    briefing.full_clean(exclude=["docx", "pdf", "content"])
    briefing.save()
    return briefing


@acting_as
@transaction.atomic
def generate(user: User, region: Region | None, year: int | None, as_of: date | None,
             kind: str = Briefing.Kind.MONTHLY) -> Briefing:
    """A draft briefing of ``region`` for ``year`` as of ``as_of``, its figures counted in the
    user's scope; its 下一步工作 starts as the last briefing's of the same region and kind."""
    content.check(region, year, as_of)
    assert region is not None and year is not None and as_of is not None  # (check refuses them)
    if kind not in Briefing.Kind.values:
        raise ValidationError({"kind": _("简报类型应为：%(kinds)s") % {"kinds": "、".join(Briefing.Kind.values)}})
    require_view_region(user, region)
    require_admin(user, region)
    built = content.build(user, region, year, as_of, kind)
    built["issuer"] = issuer(user, region)
    last = Briefing.objects.filter(region=region, kind=kind).order_by("-as_of", "-pk").first()
    briefing = Briefing(region=region, year=year, as_of=as_of, kind=kind, headline=built["headline"],
                        next_steps=last.next_steps if last else "", content=built, generated_by=user,
                        generated_at=timezone.now())
    briefing.full_clean(exclude=["docx", "pdf", "content", "next_steps"])
    briefing.save()
    return briefing


@acting_as
@transaction.atomic
def refresh(user: User, pk: int, expected_version: int | None) -> Briefing:
    """The draft's figures counted again (after corrected reports); its headline generated again."""
    briefing = _locked(pk)
    _may_manage(user, briefing)
    _check_version(briefing, expected_version)
    _require_state(briefing, Briefing.State.DRAFT)
    built = content.build(user, briefing.region, briefing.year, briefing.as_of, briefing.kind)
    built["issuer"] = briefing.content.get("issuer") or issuer(user, briefing.region)
    briefing.content, briefing.headline = built, built["headline"]
    briefing.generated_by, briefing.generated_at = user, timezone.now()
    return _saved(briefing)


@acting_as
@transaction.atomic
def edit(user: User, pk: int, expected_version: int | None, data: dict[str, Any]) -> Briefing:
    """The free text (headline, 下一步工作, 编者按); an approved briefing goes back to draft."""
    briefing = _locked(pk)
    _may_manage(user, briefing)
    _check_version(briefing, expected_version)
    _require_state(briefing, Briefing.State.DRAFT, Briefing.State.APPROVED)
    for name in EDITABLE:
        if name in data:
            setattr(briefing, name, (data[name] or "").strip())
    if not briefing.headline:
        raise ValidationError({"headline": _("导语不能为空")})
    if briefing.state == Briefing.State.APPROVED:
        briefing.state, briefing.approved_by, briefing.approved_at = Briefing.State.DRAFT, None, None
    return _saved(briefing)


@acting_as
@transaction.atomic
def approve(user: User, pk: int, expected_version: int | None) -> Briefing:
    briefing = _locked(pk)
    _may_manage(user, briefing)
    _check_version(briefing, expected_version)
    _require_state(briefing, Briefing.State.DRAFT)
    briefing.state, briefing.approved_by, briefing.approved_at = Briefing.State.APPROVED, user, timezone.now()
    return _saved(briefing)


@acting_as
@transaction.atomic
def publish(user: User, pk: int, expected_version: int | None) -> Briefing:
    """第N期: the next number of the region, kind and year (no gaps), then the .docx and .pdf
    rendered from the approved snapshot and stored: what was published stays as published."""
    # Two publishers at once: the region's row is locked first, so the second waits and counts
    # the first's number (the unique constraint is the backstop).
    Region.objects.select_for_update().get(pk=Briefing.objects.values_list("region_id", flat=True).get(pk=pk))
    briefing = _locked(pk)
    _may_manage(user, briefing)
    _check_version(briefing, expected_version)
    _require_state(briefing, Briefing.State.APPROVED)
    last = Briefing.objects.filter(region=briefing.region_id, kind=briefing.kind, year=briefing.year,
                                   number__isnull=False).aggregate(last=Max("number"))["last"]
    briefing.number = (last or 0) + 1
    briefing.state, briefing.published_by, briefing.published_at = Briefing.State.PUBLISHED, user, timezone.now()
    word, pdf = render.both(briefing.content, text_of(briefing), template_for(briefing.region))
    briefing.docx.save(f"{briefing.file_stem}.docx", ContentFile(word), save=False)
    briefing.pdf.save(f"{briefing.file_stem}.pdf", ContentFile(pdf), save=False)
    return _saved(briefing)


@acting_as
@transaction.atomic
def upload_template(user: User, region: Region, upload: Any) -> BriefingTemplate:
    """``region``'s own Word template (docxtpl), checked by filling it with a sample briefing."""
    require_view_region(user, region)
    require_admin(user, region)
    require_kind(upload, ("docx",), TEMPLATE_MB)
    render.check_template(upload)
    template = BriefingTemplate.objects.select_for_update().filter(region=region).first() \
        or BriefingTemplate(region=region)
    template.file.save(upload.name, upload, save=False)
    template.uploaded_by = user
    template.save()
    return template


@acting_as
@transaction.atomic
def remove_template(user: User, region: Region) -> None:
    """Back to the default template."""
    require_view_region(user, region)
    require_admin(user, region)
    for template in BriefingTemplate.objects.filter(region=region):
        template.delete()
