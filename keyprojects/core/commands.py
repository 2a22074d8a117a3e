"""Base class for the project's management commands: every write a command makes is
attributed to the command (and to ``--as-user`` when given) in the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keyprojects.core.audit import Source, audit_context


class AuditedCommand(BaseCommand):
    audit_source = Source.COMMAND

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-user", dest="as_user", help="以该用户身份执行（写入审计记录）/ act as this user")

    def execute(self, *args: Any, **options: Any) -> Any:
        user = None
        if options.get("as_user"):
            from keyprojects.accounts.models import User

            try:
                user = User.objects.get(username=options["as_user"])
            except User.DoesNotExist as exc:
                raise CommandError(f"用户“{options['as_user']}”不存在") from exc
        self.acting_user = user
        name = type(self).__module__.rsplit(".", 1)[-1]  # the command's name
        with audit_context(self.audit_source, user=user, detail=name):
            return super().execute(*args, **options)
