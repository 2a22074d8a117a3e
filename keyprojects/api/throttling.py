"""DRF's rate throttles, told the client's address as the logins are (``core.http.client_ip``):
DRF's own reading believes any X-Forwarded-For, which lets a client choose its address."""

from __future__ import annotations

from typing import Any

from rest_framework import throttling

from keyprojects.core.http import client_ip


class AnonThrottle(throttling.AnonRateThrottle):
    def get_ident(self, request: Any) -> str:
        return client_ip(request) or ""


class UserThrottle(throttling.UserRateThrottle):
    def get_ident(self, request: Any) -> str:
        return client_ip(request) or ""
