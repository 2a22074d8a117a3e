"""How the API describes itself in OpenAPI (drf-spectacular), as project-wide conventions that
every viewset inherits, so that a client generated from ``/api/schema/`` can write as well as read:

- every operation documents its errors with one schema (``Error``; a 409 ``Conflict`` carries
  ``current_version``), added here rather than on each view;
- a PATCH body marks ``version`` required (every change gives the version it read, 409 if
  stale), though its other fields are optional;
- a filter's parameter is typed by its class (``core.params`` gives year, day and integer ones);
- no schema carries a ``title`` (a form label in Chinese), which generators turn into class
  names: the label goes into the description;
- an array query parameter is repeated (``o=name&o=-completed``), as generated clients send it
  and the filters read it (``core.filters``).

``tests/test_api_schema.py`` checks the whole schema against these rules.
"""

from __future__ import annotations

from typing import Any

from django_filters.filters import ModelChoiceFilter
from drf_spectacular.contrib.django_filters import DjangoFilterExtension, _NoHint
from drf_spectacular.drainage import has_override
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import is_patched_serializer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "keyprojects.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "“Token <密钥>”：在“接口令牌”页面或用 `keyprojects create_token 用户名` 创建",
        }


class FilterTypedByItsClass(DjangoFilterExtension):
    """A filter's parameter typed by the filter itself, not by its method's hint (``value: Any``
    left the parameter untyped)."""

    priority = 1  # over drf-spectacular's own

    def _get_filter_method_hint(self, filter_method: Any) -> Any:
        return _NoHint

    def resolve_filter_field(self, auto_schema: Any, model: Any, filterset_class: Any, field_name: str,
                             filter_field: Any) -> Any:
        if isinstance(filter_field, ModelChoiceFilter) and not has_override(filter_field, "field"):
            extend_schema_field(OpenApiTypes.INT)(filter_field)  # an object's id, whatever its method
        return super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)


class ErrorSerializer(serializers.Serializer):
    """Every error the API answers (``api.errors.handle``)."""

    code = serializers.CharField(help_text="机器可读的错误代码，如 invalid、not_authenticated、permission_denied、not_found")
    message = serializers.CharField(help_text="给人看的说明（中文）")
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False,  # type: ignore[assignment]  # a declared field
                                   help_text="仅 400：按字段列出的错误（non_field_errors 为整体错误）")

    class Meta:
        ref_name = "Error"


class ConflictSerializer(serializers.Serializer):
    """A 409: the record changed since it was read (``current_version``), or one like it exists."""

    code = serializers.CharField(help_text="edit_conflict（已被他人修改）或 conflict（已存在）")
    message = serializers.CharField()
    current_version = serializers.IntegerField(allow_null=True,
                                               help_text="记录的当前版本号（重新读取后再提交）；无从比较时为 null")

    class Meta:
        ref_name = "Conflict"


ERRORS: dict[str, tuple[str, type[serializers.Serializer]]] = {
    "400": ("请求有误：参数或请求体不合规定（errors 按字段说明）", ErrorSerializer),
    "401": ("未认证：缺少或无效的令牌/会话", ErrorSerializer),
    "403": ("无权执行此操作（角色或范围不允许）", ErrorSerializer),
    "404": ("对象不存在或不在您的权限范围内", ErrorSerializer),
}
CONFLICT = ("冲突：记录已被他人修改（current_version 为当前版本），或同样的记录已存在", ConflictSerializer)
WRITES = ("POST", "PUT", "PATCH", "DELETE")


class AutoSchema(SpectacularAutoSchema):
    """settings.REST_FRAMEWORK's schema class: the conventions above for every view."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        errors = {**ERRORS, **({"409": CONFLICT} if self.method in WRITES else {})}
        for code, (description, serializer) in errors.items():
            if code not in responses:
                response = self._get_response_for_code(serializer, code, ["application/json"], direction)
                responses[code] = {**response, "description": description}
        return responses

    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()
        totals = getattr(self.view, "totals_serializer", None)
        if paginator is not None and totals is not None:
            paginator.totals_schema = self.resolve_serializer(totals, "response").ref
        return paginator

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)
        if is_patched_serializer(serializer, direction) and "version" in schema.get("properties", {}):
            schema["required"] = ["version"]  # the one field a partial update must give
        return schema


def _untitled(node: Any) -> None:
    if isinstance(node, dict):
        title = node.pop("title") if isinstance(node.get("title"), str) else None  # (a property named title: a dict)
        if title and not node.get("description"):
            node["description"] = title
        for value in node.values():
            _untitled(value)
    elif isinstance(node, list):
        for value in node:
            _untitled(value)


def postprocess(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """SPECTACULAR_SETTINGS' last postprocessing hook: titles out, array query parameters repeated."""
    _untitled(result.get("components", {}))
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                _untitled(parameter.get("schema"))
                if parameter.get("in") == "query" and parameter.get("schema", {}).get("type") == "array":
                    parameter["explode"], parameter["style"] = True, "form"
    return result
