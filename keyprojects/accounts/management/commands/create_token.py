"""keyprojects create_token USERNAME [--name 用途] | --revoke ID: API tokens from the shell."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils import timezone

from keyprojects.accounts import services
from keyprojects.accounts.models import ApiToken, User
from keyprojects.core.commands import AuditedCommand
from keyprojects.core.permissions import SYSTEM


class Command(AuditedCommand):
    help = "为用户创建接口令牌（密钥只显示一次）/ create an API token for a user (the key is shown once)"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("username", nargs="?", help="令牌所属用户")
        parser.add_argument("--name", default="命令行创建", help="用途，如“省平台对接”")
        parser.add_argument("--revoke", type=int, metavar="ID", help="吊销该编号的令牌")
        parser.add_argument("--days", type=int, metavar="N", help="有效天数（不给为长期有效）")
        parser.add_argument("--read-only", action="store_true", help="只读令牌：只能查询")
        parser.add_argument("--allowed-ips", default="", metavar="CIDR,...", help="只允许这些地址或网段使用")

    def handle(self, *args, **options) -> None:
        actor = self.acting_user or SYSTEM
        try:
            if options["revoke"]:
                token = services.revoke_token(actor, options["revoke"])
                self.stdout.write(f"已吊销令牌 {token.pk}（{token.user.username}，{token.name}）")
                return
            if not options["username"]:
                raise CommandError("请给出用户名，或用 --revoke ID 吊销令牌")
            user = User.objects.select_related("unit__region").get(username=options["username"])
            expires_at = timezone.now() + timedelta(days=options["days"]) if options["days"] is not None else None
            token, key = services.create_token(actor, user, options["name"], expires_at=expires_at,
                                               read_only=options["read_only"], allowed_ips=options["allowed_ips"])
        except User.DoesNotExist as exc:
            raise CommandError(f"用户“{options['username']}”不存在") from exc
        except ApiToken.DoesNotExist as exc:
            raise CommandError(f"令牌 {options['revoke']} 不存在") from exc
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc
        self.stdout.write(f"已为 {user.username} 创建令牌 {token.pk}（{token.name}）。密钥只显示这一次：")
        self.stdout.write(key)
