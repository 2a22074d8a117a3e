"""The site's 400 answer (``handler400``): the page's language, the message of a bad query
parameter (``core.params.BadQuery``) shown; JSON under /api/."""

from __future__ import annotations

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
