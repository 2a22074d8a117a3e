"""Tells drf-spectacular how the token authentication looks in the OpenAPI schema."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "keyprojects.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "“Token <密钥>”：在“接口令牌”页面或用 `keyprojects create_token 用户名` 创建",
        }
