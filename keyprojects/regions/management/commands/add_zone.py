"""keyprojects add_zone PARENT NAME [--as-user USERNAME]: a development zone under a city or county."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from keyprojects.core.commands import AuditedCommand, find_region
from keyprojects.regions.services import add_zone


class Command(AuditedCommand):
    help = "在地级或县级区划下新增开发区 / add a development zone"

    def add_arguments(self, parser) -> None:
        super().add_arguments(parser)
        parser.add_argument("parent", help="上级区划名称或代码，如 龙港区")
        parser.add_argument("name", help="开发区名称")

    def handle(self, *args, **options) -> None:
        parent = find_region(options["parent"])
        try:
            zone = add_zone(self.acting_user, parent, options["name"])
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from exc
        self.stdout.write(f"已新增开发区：{zone.name}（{zone.code}，隶属 {parent.full_name}）")
