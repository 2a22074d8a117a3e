"""Logins, logouts and failed logins, recorded as ``core.models.SignIn`` rows and sealed into the
audit chain. django-axes keeps its own rows for throttling, but an unlock or its clean-up
deletes them and they record the address its own way; this is the record that stays."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import Source
from .chain import record_sign_in
from .http import client_ip
from .models import SignIn


def _source(request: Any) -> str:
    path = getattr(request, "path_info", "") or ""
    if path.startswith("/admin/"):
        return Source.ADMIN
    return Source.API if path.startswith("/api/") else Source.WEB


def _record(request: Any, result: str, user: Any = None, username: str = "") -> None:
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    if user is None and username:  # a failed login: whose account was tried, if it is one
        user_id = get_user_model()._default_manager.filter(username=username).values_list("pk", flat=True).first()
    else:
        user_id = user.pk if user is not None else None
    record_sign_in(username=(username or (user.get_username() if user is not None else ""))[:150],
                   user_id=user_id, result=result, source=_source(request),
                   ip=client_ip(request) if request is not None else None)


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record(request, SignIn.Result.LOGIN, user=user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record(request, SignIn.Result.LOGOUT, user=user)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    locked = bool(getattr(request, "axes_locked_out", False))
    _record(request, SignIn.Result.LOCKED if locked else SignIn.Result.FAILED,
            username=str(credentials.get("username") or "")[:150])
