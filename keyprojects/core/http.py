"""The request the project's pages receive, as the type checker should see it; the client's
address; a workbook or a stored file as a download."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import translation
from django_htmx.middleware import HtmxDetails

from keyprojects.core.params import BadQuery

if TYPE_CHECKING:
    from keyprojects.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request to a page behind ``@login_required`` (every page but the login): its user is
    one of ours, never ``AnonymousUser``; ``htmx`` is set by django-htmx's middleware. Only an
    annotation (django-stubs' way of typing authenticated requests): no request is made of it."""

    user: User
    htmx: HtmxDetails


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(content: bytes, filename: str) -> HttpResponse:
    """An .xlsx workbook as a download named ``filename`` (Chinese names kept, RFC 5987)."""
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def file_download(stored: Any, filename: str) -> FileResponse:
    """A stored file (a FileField's value) as a download named ``filename`` (RFC 5987, as above)."""
    response = FileResponse(stored.open("rb"), as_attachment=True)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def file_inline(stored: Any, filename: str, content_type: str) -> FileResponse:
    """A stored file shown in the page (a photo in an ``<img>``) as ``content_type``, the type its
    content was judged to be, never guessed from a name; the browser told not to sniff another."""
    response = FileResponse(stored.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(filename)}"
    response["X-Content-Type-Options"] = "nosniff"
    return response


class ChineseUnlessChosenMiddleware:
    """The interface in Chinese for every browser unless the user chose English (the language
    cookie ``set_language`` writes): an office PC with an en-US browser still gets Chinese, which
    Django's LocaleMiddleware, following Accept-Language, would not give it."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response: HttpResponse = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


def _within(address: str, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(network, strict=False) for network in networks)


def client_ip(request: Any) -> str | None:
    """The client's address: the request's own (REMOTE_ADDR) — or, when that is one of the proxies
    the operator trusts (``KEYPROJECTS_TRUSTED_PROXIES``), the nearest address in X-Forwarded-For
    that is not one of them. A header from anyone else is ignored: a client could name any address."""
    meta = getattr(request, "META", {})
    remote: str | None = meta.get("REMOTE_ADDR")
    trusted = settings.KEYPROJECTS_TRUSTED_PROXIES
    if not trusted or not remote or not _within(remote, trusted):
        return remote
    for address in reversed([a.strip() for a in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]):
        if not _within(address, trusted):
            try:
                return str(ipaddress.ip_address(address))
            except ValueError:
                return remote  # a forged or broken header: the proxy is all that is known
    return remote


class RefuseNulBytesMiddleware:
    """A query parameter holding a NUL byte is a 400 naming it: PostgreSQL refuses NUL in any
    text comparison, so a page looking a raw value up (a region by its code) would answer 500."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        bad = [name for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)]
        if bad:
            raise BadQuery({name.replace("\x00", "") or "?": [translation.gettext("含有无效字符")] for name in bad})
        response: HttpResponse = self.get_response(request)
        return response
