"""Publishing a project as open data, and withdrawing it: the city's choice (its admins only;
a county clerk cannot publish). Both audited."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import Actor, require, require_admin
from keyprojects.core.validation import validate
from keyprojects.projects.models import Project

from .models import Publication


def _project(user: Actor, project_id: int) -> Project:
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise ValidationError({"project": _("项目不存在")})
    require(user, "view", project)
    require_admin(user, project.region)
    return project


@acting_as
@transaction.atomic
def publish(user: Actor, project_id: int, note: str = "", on: date | None = None) -> Publication:
    """Mark a project public (the city's admins): from now on it is in the OC4IDS package.
    Publishing it again only changes the note."""
    project = _project(user, project_id)
    publication = Publication.objects.filter(project=project).first() or Publication(
        project=project, published_on=on or timezone.localdate(), published_by=recorded(user))
    publication.note = (note or "").strip()[:200]
    validate(publication)
    publication.save()
    require(user, "view", publication)
    return publication


@acting_as
@transaction.atomic
def unpublish(user: Actor, project_id: int) -> None:
    """Withdraw a project from the open data (the city's admins)."""
    project = _project(user, project_id)
    publication = Publication.objects.filter(project=project).first()
    if publication is None:
        raise ValidationError({"project": _("该项目未公开")})
    publication.delete()
