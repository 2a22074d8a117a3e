"""The site's 400 answer (``handler400``): the page's language, the message of a bad query
parameter (``core.params.BadQuery``) shown; JSON under /api/. Django's CSRF refusal in the page's
language, and a body on a 405."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from .params import BadQuery


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # Only our own messages are shown: a SuspiciousOperation's may name what the server refused and why.
    message = str(exception) if isinstance(exception, BadQuery) else _("请求的参数有误，无法处理")
    if request.path.startswith("/api/"):
        body: dict[str, object] = {"code": "bad_request", "message": message}
        if isinstance(exception, BadQuery):
            body["errors"] = exception.errors
        return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
    return HttpResponse(loader.render_to_string("400.html", {"message": message}, request), status=400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (CSRF_FAILURE_VIEW), in the page's language: most often a form left
    open past its session, or a page opened from another address."""
    message = _("页面已过期或来源无法验证（CSRF），请刷新页面后重新提交。")
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "csrf_failed", "message": message}, status=403,
                            json_dumps_params={"ensure_ascii": False})
    return HttpResponse(loader.render_to_string("403.html", {"exception": message}, request), status=403)


class MethodNotAllowedBody:
    """A 405 with no body (``require_POST`` and friends answer so) says which methods it takes."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 405 and not response.streaming and not response.content:
            allowed = response.get("Allow", "")
            response.content = (_("此地址不接受 %(method)s 请求（允许：%(allowed)s）") % {
                "method": request.method, "allowed": allowed}).encode()
            response["Content-Type"] = "text/plain; charset=utf-8"
        return response
