"""Managing units, users and leaders: city admins within their city, superusers anywhere.
One transaction each; the audit trail records every change (role changes included)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as
from keyprojects.core.permissions import Actor, require_admin
from keyprojects.core.validation import validate, would_change

from .models import ApiToken, Leader, Unit, User

UNIT_FIELDS = ["name", "region", "kind", "credit_code", "contact_person", "contact_phone"]
USER_FIELDS = ["username", "display_name", "unit", "role", "phone", "is_active", "email"]


def _apply(obj: Any, data: dict[str, Any], fields: list[str]) -> None:
    for field in fields:
        if field in data:
            setattr(obj, field, data[field])


@acting_as
@transaction.atomic
def save_unit(actor: Actor, data: dict[str, Any], unit: Unit | None = None) -> Unit:
    if unit is not None:
        unit = Unit.objects.select_for_update().get(pk=unit.pk)
        require_admin(actor, unit.region)
    if unit is not None and not would_change(unit, data, UNIT_FIELDS):
        return unit  # nothing to save: no history row, the cached figures stay
    unit = unit or Unit()
    _apply(unit, data, UNIT_FIELDS)
    require_admin(actor, unit.region)
    validate(unit)
    unit.save()
    return unit


@acting_as
@transaction.atomic
def save_user(actor: Actor, data: dict[str, Any], user: User | None = None, password: str | None = None) -> User:
    if user is not None:
        user = User.objects.select_for_update().get(pk=user.pk)
        require_admin(actor, user.region)
    user = user or User()
    _apply(user, data, USER_FIELDS)
    require_admin(actor, user.region)
    if password:
        user.set_password(password)
    elif user.pk is None:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    return user


@acting_as
@transaction.atomic
def save_leader(actor: Actor, data: dict[str, Any], leader: Leader | None = None) -> Leader:
    if leader is not None:
        leader = Leader.objects.select_for_update().get(pk=leader.pk)
        require_admin(actor, leader.region)
    leader = leader or Leader()
    _apply(leader, data, ["name", "title", "region", "user", "order"])
    require_admin(actor, leader.region)
    validate(leader)
    leader.save()
    return leader


def token_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _require_token_owner(actor: Actor, user: User) -> None:
    """Users manage their own tokens; city admins those of the users they manage."""
    if getattr(actor, "pk", None) != user.pk:
        require_admin(actor, user.region)


@acting_as
@transaction.atomic
def create_token(actor: Actor, user: User, name: str, *, expires_at: datetime | None = None, read_only: bool = False,
                 allowed_ips: str = "") -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the key, which is never shown again. Optionally it
    ends at ``expires_at``, may only read, and is accepted only from ``allowed_ips`` (CIDR list)."""
    _require_token_owner(actor, user)
    if not user.is_active:
        raise ValidationError({"user": _("停用的用户不能创建接口令牌")})
    key = "kp_" + secrets.token_urlsafe(30)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("有效期应晚于现在")})
    token = ApiToken(user=user, name=name.strip(), prefix=key[:10], digest=token_digest(key), expires_at=expires_at,
                     read_only=read_only, allowed_ips=allowed_ips.strip())
    token.full_clean()
    token.save()
    return token, key


@acting_as
@transaction.atomic
def revoke_token(actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update(of=("self",)).select_related("user__unit__region").get(pk=token_id)
    _require_token_owner(actor, token.user)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save()
    return token


# --- a user's sessions ----------------------------------------------------------------------
# Django's sessions are not indexed by user: the live ones are decoded (a few hundred in a city).

def other_sessions(user: User, keep: str | None) -> list[Session]:
    """The user's live sessions other than ``keep`` (the one asking), latest expiry first."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).exclude(session_key=keep or "")
    return sorted((s for s in live.iterator() if s.get_decoded().get(SESSION_KEY) == str(user.pk)),
                  key=lambda s: s.expire_date, reverse=True)


@transaction.atomic
def end_other_sessions(user: User, keep: str | None) -> int:
    """Sign the user out everywhere but the session ``keep``; how many sessions ended."""
    found = other_sessions(user, keep)
    Session.objects.filter(session_key__in=[s.session_key for s in found]).delete()
    return len(found)
