"""Login throttling (django-axes): a locked-out account or address is refused before its
password is even checked."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend


class LoginThrottle(AxesStandaloneBackend):
    """axes' backend, except that a login without a request — ``Client.login`` in a test, a
    shell — is not throttled (axes would refuse it outright): every login of the site's pages,
    its admin and its API passes the request, and is counted."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)
