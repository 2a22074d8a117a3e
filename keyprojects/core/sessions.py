"""Idle sessions end: a session lives SESSION_COOKIE_AGE (default two hours) after its last use.

Django's SESSION_SAVE_EVERY_REQUEST would write the session row on every request; here it is
written at most once a minute, which keeps the idle limit to within that minute."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

REFRESH_SECONDS = 60


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        session = getattr(request, "session", None)
        if session is not None and session.session_key and request.user.is_authenticated:
            now = int(time.time())
            if now - session.get("_seen", 0) >= REFRESH_SECONDS:
                session["_seen"] = now  # modified: saved with a new expiry, and its cookie sent again
        return self.get_response(request)


@receiver(user_logged_in)
def _seen_at_login(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """The login saves the session anyway: the first minute after it needs no save of its own."""
    if request is not None and hasattr(request, "session"):
        request.session["_seen"] = int(time.time())
