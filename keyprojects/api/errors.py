"""Every API error is JSON: ``{"code": "…", "message": "…", "errors": {field: [messages]}}``.
Django's own exceptions from the services (ValidationError, PermissionDenied, Http404) and
an edit conflict (409) are translated here, so views just call services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler

from keyprojects.core.params import BadQuery
from keyprojects.projects.services import EditConflict


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "edit_conflict"


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _flatten(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _flatten(value)]
    return [str(detail)]


def handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, EditConflict):
        return Response({"code": "edit_conflict", "message": str(exc), "current_version": exc.current.version},
                        status=status.HTTP_409_CONFLICT)
    if isinstance(exc, BadQuery):  # a query parameter the figures cannot use (core.params)
        exc = exceptions.ValidationError(exc.errors)
    elif isinstance(exc, IntegrityError):  # a row another request created at the same moment (a unique constraint)
        return Response({"code": "conflict", "message": _("与同时提交的另一请求冲突：该记录已存在，请刷新后重试"),
                         "current_version": None}, status=status.HTTP_409_CONFLICT)  # (the schema's Conflict)
    elif isinstance(exc, OverflowError):  # a number beyond what the database stores (SQLite: 64 bits)
        exc = exceptions.ValidationError({"non_field_errors": [_("请求中的数值超出允许范围")]})
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=get_error_detail(exc))
    elif isinstance(exc, Http404):  # outside the user's scope, or not there at all: the same answer
        exc = exceptions.NotFound(_("对象不存在或您无权访问"))
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = detail if isinstance(detail, dict) else {"non_field_errors": detail}
        messages = _flatten(errors)
        body: dict[str, Any] = {"code": "invalid", "message": _("提交的数据有误：%(first)s") % {"first": messages[0] if messages else ""},
                "errors": errors}
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {"code": code if isinstance(code, str) else "error", "message": " ".join(_flatten(detail))}
        if response.status_code == status.HTTP_409_CONFLICT:
            body["current_version"] = None  # every 409 is the schema's Conflict
    response.data = body
    return response
