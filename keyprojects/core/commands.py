"""What the project's management commands share: a base class by which every write a command
makes is attributed to the command (and to ``--as-user`` when given) in the audit trail, and
the lookup of the region a command is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError

from keyprojects.core.audit import Source, audit_context

if TYPE_CHECKING:
    from keyprojects.regions.models import Region


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


def find_region(name: str) -> Region:
    """The region a command's argument names (name or code), or a CommandError saying why not."""
    from keyprojects.regions.models import Region, RegionNotFound

    try:
        return Region.objects.find(name)
    except RegionNotFound as exc:
        hint = "" if Region.objects.exists() else "（尚未导入区划，请先运行 keyprojects load_regions）"
        raise CommandError(f"{exc}{hint}") from exc
