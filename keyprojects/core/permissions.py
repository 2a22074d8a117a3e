"""The one permission chokepoint.

Every queryset a user sees goes through :func:`restrict`; every write asks
:func:`require` (inside the service's transaction) before it touches a row. Nothing else
in the code base filters by region or role.

Scope, by role:

=================  ===============================  ==============================
role               sees                             may change
=================  ===============================  ==============================
superuser          everything                       everything
city admin         their unit's region (the city)   the same
county clerk       their unit's region (the county) the same
department clerk   projects their unit is           the same
                   responsible for
project owner      projects their unit owns         the same
leader, viewer     their unit's region              nothing
=================  ===============================  ==============================

A model may also name the units that reach its rows whatever their users' role scope
(``scope_paths["units"]``, by action): a problem reaches the users of the units it is assigned
to and of the unit that raised it (to see it and to act on it), a meeting those of the units
attending (to see it). Likewise regions (``scope_paths["regions"]``, by action): a task reaches
the users whose scope is a region holding one of its co-units (to see it).

And a region circulates some rows to everyone below it once they are out
(``scope_paths["circulated"]``: the path to the row's region and the lookups that say it is out):
a published ranking (通报) reaches the counties and departments it ranks — read-only, the
published ones only — while its drafts stay with the city.

Objects outside a user's view scope answer 404 (their existence is not disclosed);
objects inside the view scope but outside the edit scope answer 403.
"""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from keyprojects.accounts.models import User
    from keyprojects.regions.models import Region, RegionQuerySet

Action = Literal["view", "edit"]
# Who acts: a signed-in user, or the system itself (a command, a job).
Actor: TypeAlias = "User | SystemActor"
# Whose scope a query is narrowed to: an actor, or nobody signed in, who reaches nothing (the
# API builds its forms once with nobody, only to read their fields).
Viewer: TypeAlias = "Actor | AnonymousUser"
QS = TypeVar("QS", bound=QuerySet[Any, Any])

WRITER_ROLES = {"city_admin", "county_clerk", "department_clerk", "owner"}
ADMIN_ROLES = {"city_admin"}


@dataclass(frozen=True)
class Scope:
    """What a user may reach: everything, a region subtree, or one unit's projects; and, by
    the rows' ``scope_paths["units"]``, what their unit (``unit_id``) is linked to."""

    everything: bool = False
    region: Region | None = None
    via: Literal["region", "responsible_unit", "owner", "none"] = "none"
    unit_id: int | None = None


class SystemActor:
    """The system itself: a management command run without --as-user. It may do anything;
    its writes are recorded with no user and the command as their source."""

    is_authenticated = True
    is_active = True
    is_superuser = True
    is_staff = False
    role = ""
    unit = None
    region = None
    pk = None

    def __str__(self) -> str:
        return "system"


SYSTEM = SystemActor()


def scope_of(user: Viewer, action: Action = "view") -> Scope:
    if not user or not user.is_authenticated or not user.is_active:
        return Scope()
    if user.is_superuser:
        return Scope(everything=True)
    if action == "edit" and user.role not in WRITER_ROLES:
        return Scope()
    unit = user.unit
    if unit is None:
        return Scope()
    if user.role == "department_clerk":
        return Scope(via="responsible_unit", unit_id=unit.pk, region=unit.region)
    if user.role == "owner":
        return Scope(via="owner", unit_id=unit.pk, region=unit.region)
    return Scope(via="region", region=unit.region, unit_id=unit.pk)


def _condition(model: type[Model], scope: Scope, action: Action = "view") -> Q | None:
    """The filter that keeps ``model`` rows inside ``scope``; None means nothing."""
    if scope.everything:
        return Q()
    own = _role_condition(model.scope_paths, scope)  # type: ignore[attr-defined]  # each scoped model declares it
    found = [c for c in (own, _unit_condition(model, scope, action), _region_link_condition(model, scope, action),
                         _circulated_condition(model, scope, action)) if c is not None]
    return functools.reduce(operator.or_, found) if found else None


def _role_condition(paths: dict[str, Any], scope: Scope) -> Q | None:
    """The rows the user's role scope reaches: a region's, or a unit's projects'."""
    if scope.via == "region" and scope.region is not None:
        return Q(**{f"{paths['region']}__path__startswith": scope.region.path})
    if scope.via in ("responsible_unit", "owner"):
        if scope.via in paths:
            return Q(**{paths[scope.via]: scope.unit_id})
        # Units, users: a unit-scoped user reaches only their own unit.
        if "unit" in paths:
            return Q(**{paths["unit"]: scope.unit_id})
    return None


def _unit_condition(model: type[Model], scope: Scope, action: Action) -> Q | None:
    """The rows linked to the user's unit by the model's ``scope_paths["units"][action]``
    (a problem's lead unit, co-units and raiser): None when it names none. A path through a
    many-to-many relation is matched in a subquery, so a row is never listed twice."""
    units: tuple[str, ...] = model.scope_paths.get("units", {}).get(action, ())  # type: ignore[attr-defined]  # as above
    if not units or scope.unit_id is None:
        return None
    condition = Q()
    for path in units:
        match = Q(**{path: scope.unit_id})
        if _many(model, path):
            match = Q(pk__in=model._default_manager.filter(match).values("pk"))
        condition |= match
    return condition


def _region_link_condition(model: type[Model], scope: Scope, action: Action) -> Q | None:
    """The rows linked to a region inside the user's by the model's ``scope_paths["regions"][action]``
    (a task whose co-unit lies in the county reaches the county's users, to see it); None when it
    names none or the user's scope is not a region."""
    paths: tuple[str, ...] = model.scope_paths.get("regions", {}).get(action, ())  # type: ignore[attr-defined]  # as above
    if not paths or scope.via != "region" or scope.region is None:
        return None
    condition = Q()
    for path in paths:
        match = Q(**{f"{path}__path__startswith": scope.region.path})
        if _many(model, path):
            match = Q(pk__in=model._default_manager.filter(match).values("pk"))
        condition |= match
    return condition


def _circulated_condition(model: type[Model], scope: Scope, action: Action) -> Q | None:
    """The rows a region above the user's (or theirs) has circulated (``scope_paths["circulated"]``):
    viewed, never changed, by users whose scope lies in that region (a county, a department; not an
    enterprise, which is not ranked); None when the model circulates nothing."""
    spec: dict[str, Any] | None = model.scope_paths.get("circulated")  # type: ignore[attr-defined]  # as above
    if (not spec or action != "view" or scope.via not in ("region", "responsible_unit")
            or scope.region is None):
        return None
    from keyprojects.regions.models import path_codes

    above = Q(**{f"{spec['region']}__code__in": path_codes(scope.region.path)})
    out = Q(**spec["when"])
    if any(_many(model, lookup) for lookup in spec["when"]):
        out = Q(pk__in=model._default_manager.filter(out).values("pk"))  # (a row once, however many match)
    return above & out


def _many(model: type[Model], path: str) -> bool:
    """Whether ``path`` from ``model`` crosses a relation to many rows."""
    for name in path.split("__"):
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        if field.many_to_many or field.one_to_many:
            return True
        if field.related_model is None:
            return False
        model = field.related_model
    return False


def sees_all_of(user: Actor, region: Region | None) -> bool:
    """Whether everything in ``region`` (None: everywhere) is in what ``user`` may view, so that
    a query already narrowed to ``region`` needs no second, equal filter for the user's scope
    (the database estimates two path matches as far fewer rows than they are)."""
    scope = scope_of(user, "view")
    if scope.everything:
        return True
    return (scope.via == "region" and scope.region is not None and region is not None
            and region.path.startswith(scope.region.path))


def require_view_region(user: Actor, region: Region) -> None:
    """Raise 404 unless ``region`` lies inside what ``user`` may view (figures of a region)."""
    scope = scope_of(user, "view")
    if not (scope.everything or (scope.region is not None and region.is_within(scope.region))):
        raise Http404(_("区划“%(name)s”不存在或不在您的权限范围内") % {"name": region.name})


def region_holding(user: Actor) -> Region | None:
    """A region that holds everything ``user`` may view: their region when their scope is one
    (None for everything, a unit's projects or nothing)."""
    scope = scope_of(user, "view")
    return scope.region if scope.via == "region" else None


def restrict(queryset: QS, user: Viewer, action: Action = "view") -> QS:
    """``queryset`` narrowed to what ``user`` may ``action``."""
    condition = _condition(queryset.model, scope_of(user, action), action)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition)


def require(user: Actor, action: Action, obj: Any) -> None:
    """Raise 404 if ``obj`` is outside what ``user`` sees, 403 if they may see but not change it."""
    if user.is_superuser and user.is_active:
        return  # everything is in scope: no query needed
    model = type(obj)
    if not restrict(model._default_manager.filter(pk=obj.pk), user, "view").exists():
        raise Http404(_("对象不存在或您无权访问"))
    if action == "edit" and not restrict(model._default_manager.filter(pk=obj.pk), user, "edit").exists():
        raise PermissionDenied(_("您没有修改此对象的权限"))


def refused(user: Actor, action: Action, objs: list[Any]) -> dict[Any, Exception]:
    """:func:`require` for many objects of one model at once (an import), a couple of queries
    per thousand objects instead of two per object: the error ``require`` would raise, by pk,
    for each object it would refuse."""
    if not objs or (user.is_superuser and user.is_active):
        return {}
    model = type(objs[0])
    pks = [obj.pk for obj in objs]
    refusals: dict[Any, Exception] = {}
    for start in range(0, len(pks), 900):
        part = pks[start:start + 900]
        rows = model._default_manager.filter(pk__in=part)
        seen = set(restrict(rows, user, "view").values_list("pk", flat=True))
        editable = set(restrict(rows, user, "edit").values_list("pk", flat=True)) if action == "edit" else seen
        for pk in part:
            if pk not in seen:
                refusals[pk] = Http404(_("对象不存在或您无权访问"))
            elif pk not in editable:
                refusals[pk] = PermissionDenied(_("您没有修改此对象的权限"))
    return refusals


def can_edit(user: Actor, obj: Any) -> bool:
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, "edit").exists()


def regions_for(user: Viewer, action: Action = "edit") -> RegionQuerySet:
    """Regions a user may place a project in (or read, for ``view``)."""
    from keyprojects.regions.models import Region

    scope = scope_of(user, action)
    if scope.everything:
        return Region.objects.all()
    if scope.region is None:
        return Region.objects.none()
    return Region.objects.within(scope.region)


def require_region(user: Actor, region: Region, refusal: Any = "") -> None:
    """A project may be created or moved only into a region the user may edit, and only by
    roles that hold a region (department clerks and owners create nothing new); the same for
    what else belongs to a region rather than to a project (a meeting, a general problem),
    refused with ``refusal`` (its ``%(region)s`` the region's name)."""
    scope = scope_of(user, "edit")
    if scope.everything:
        return
    if scope.via != "region" or scope.region is None or not region.is_within(scope.region):
        raise PermissionDenied((refusal or _("您不能在“%(region)s”登记或调整项目")) % {"region": region.name})


def administers(user: Actor, region: Region | None = None) -> bool:
    """Whether ``user`` may manage units, users, leaders and cadence rules (``require_admin``)."""
    try:
        require_admin(user, region)
    except PermissionDenied:
        return False
    return True


def require_admin(user: Actor, region: Region | None = None) -> None:
    """Managing units, users and leaders: superusers, and city admins inside their region."""
    if user.is_superuser:
        return
    if user.role not in ADMIN_ROLES or user.unit is None:
        raise PermissionDenied(_("只有市级管理员可以执行此操作"))
    if region is not None and not region.is_within(user.unit.region):
        raise PermissionDenied(_("“%(region)s”不在您的管理范围内") % {"region": region.name})


def nearby(user: Viewer, queryset: QS) -> QS:
    """Units or leaders a user may pick or filter by: those of their own region, below it,
    and above it (a county clerk assigns city departments and city leaders too)."""
    region = user.region if user.is_authenticated else None
    if user.is_superuser:
        return queryset
    if region is None:
        return queryset.none()
    from keyprojects.regions.models import path_codes

    ancestors = path_codes(region.path)
    return queryset.filter(Q(region__path__startswith=region.path) | Q(region__code__in=ancestors))


def holds_region(user: Actor) -> bool:
    """Whether ``user`` may change what belongs to a region as a whole (registers its projects,
    records its dispatch meetings): superusers, city admins and county clerks — not department
    clerks and owners, who work on the projects of their unit."""
    scope = scope_of(user, "edit")
    return scope.everything or (scope.via == "region" and scope.region is not None)


def reads_region(user: Actor) -> bool:
    """Whether ``user`` reads a region as a whole (the figures of everything in it, a ranking of
    its leaders): superusers and every role whose scope is a region — city admins, county clerks,
    leaders, viewers — not department clerks and owners, who see their unit's projects."""
    scope = scope_of(user, "view")
    return scope.everything or (scope.via == "region" and scope.region is not None)


def can_create_project(user: Actor) -> bool:
    """Registering a project needs a region to put it in (``holds_region``)."""
    return holds_region(user)


def is_reviewer(user: Actor, region: Region) -> bool:
    """May ``user`` review (approve, return, correct) reports of projects in ``region``?"""
    try:
        require_admin(user, region)
    except PermissionDenied:
        return False
    return True


def files_report(user: Actor, report: Any) -> bool:
    """Is ``user`` on the filer's side of ``report`` (fills it in, submits it, adds photos),
    given they may change its project? Yes, except a reviewer of its region (a city admin) once
    somebody else has filed it: a report a clerk submitted is the clerk's, and when returned it
    goes back to the clerk, never into the reviewer's hands. (Where nobody else files, as in a
    county-level city's commission, the admin files and another admin approves.)"""
    return report.submitted_by_id in (None, user.pk) or not is_reviewer(user, report.project.region)


def require_filer(user: Actor, report: Any) -> None:
    if not files_report(user, report):
        raise PermissionDenied(_("该月报由%(who)s报送，应由报送人修改和报送；审核人可以审核、退回或更正")
                               % {"who": report.submitted_by})
