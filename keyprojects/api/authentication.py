"""Token authentication for machines: ``Authorization: Token kp_…`` (or ``Bearer kp_…``).
The token acts as its user, with exactly that user's scope (core.permissions)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from keyprojects.accounts.models import ApiToken, User
from keyprojects.accounts.services import token_digest
from keyprojects.core.http import client_ip

KEYWORDS = (b"token", b"bearer")
STAMP_EVERY = timedelta(minutes=10)  # "last used" is refreshed at most this often


def signed_in(request: Request) -> User:
    """The user of an API request: one of ours, whom a token or a session named (every view
    requires a signed-in user, ``IsAuthenticated``, so none runs for anybody else)."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated
    return user


class TokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[User, ApiToken] | None:
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Authorization 请求头格式应为“Token <密钥>”"))
        try:
            key = parts[1].decode()
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("接口令牌无效")) from exc
        token = ApiToken.objects.select_related("user__unit__region").filter(digest=token_digest(key)).first()
        if token is None or token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("接口令牌无效或已吊销"))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("该令牌的用户已停用"))
        if token.expired:
            raise exceptions.AuthenticationFailed(_("接口令牌已过期"))
        address = client_ip(request)
        if not token.allows(address):
            raise exceptions.PermissionDenied(_("该令牌不允许从地址 %(ip)s 使用") % {"ip": address})
        if token.read_only and request.method not in permissions.SAFE_METHODS:
            raise exceptions.PermissionDenied(_("只读令牌不能修改数据"))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > STAMP_EVERY:
            token.last_used_at = now
            token.skip_history_when_saving = True  # a read is not a change to audit
            token.save(update_fields=["last_used_at"])
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return "Token"
