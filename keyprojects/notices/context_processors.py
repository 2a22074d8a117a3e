from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from .services import unread_count


def unread_notices(request: HttpRequest) -> dict[str, Callable[[], int]]:
    """``unread_notices``, the count on the header's bell: counted only when a page shows it, and
    once a request however often it is shown; nothing for an anonymous visitor."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        if not hasattr(request, "_unread_notices"):
            # kept on the request: every render of the request (a page and its fragments) asks
            request._unread_notices = unread_count(user)  # type: ignore[attr-defined]  # an attribute of ours
        return int(request._unread_notices)  # type: ignore[attr-defined]  # as above

    return {"unread_notices": count}
