"""Development zones (开发区) under a city or county: the one change users make to the tree."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import acting_as
from keyprojects.core.permissions import require_admin

from .models import Region, simplify


@acting_as
@transaction.atomic
def add_zone(user: User | None, parent: Region, name: str) -> Region:
    """``user`` None means the system itself (a command run without --as-user)."""
    if user is not None:
        require_admin(user, parent)
    if parent.level not in (Region.Level.PREFECTURE, Region.Level.COUNTY):
        raise ValidationError({"parent": _("开发区只能设在地级或县级区划之下")})
    name = simplify(name)
    if not name:
        raise ValidationError({"name": _("请填写开发区名称")})
    if Region.objects.filter(parent=parent, name=name).exists():
        raise ValidationError({"name": _("“%(parent)s”下已有“%(name)s”") % {"parent": parent.name, "name": name}})
    zone = Region(code=parent.next_zone_code(), name=name, level=Region.Level.ZONE, parent=parent)
    zone.save()
    return zone
