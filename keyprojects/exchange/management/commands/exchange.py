"""``keyprojects exchange load|export|import``: the provincial exchange from the command line.

    keyprojects exchange load [FILE.json ...]
    keyprojects exchange export --province 210000 --region 葫芦岛市 --year 2022 --month 5 -o OUT.xlsx
    keyprojects exchange import --province 210000 --region 葫芦岛市 --year 2022 --month 5 FILE.xlsx

``import`` reads the province's returned list and prints its matches and differences; the
changes are accepted on the exchange page, where a person chooses them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError
from django.utils import timezone

from keyprojects.core.commands import AuditedCommand, find_region
from keyprojects.core.permissions import SYSTEM
from keyprojects.exchange import services
from keyprojects.exchange.models import Profile
from keyprojects.exchange.sheet import checks, sheet, workbook


class Command(AuditedCommand):
    help = "省平台对接：载入报送格式、生成报送表、导入返回清单 / provincial exchange"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument("action", choices=["load", "export", "import"])
        parser.add_argument("files", nargs="*", help="格式文件（load）或返回清单（import）")
        parser.add_argument("--province", help="省级区划代码，如 210000")
        parser.add_argument("--region")
        parser.add_argument("--year", type=int)
        parser.add_argument("--month", type=int)
        parser.add_argument("-o", "--output")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = self.acting_user or SYSTEM
        try:
            if options["action"] == "load":
                for profile in services.load_profiles(actor, [Path(f) for f in options["files"]] or None):
                    self.stdout.write(f"载入 {profile}")
                return
            profile = self._profile(options["province"])
            for key in ("region", "year", "month"):
                if not options[key]:
                    raise CommandError(f"请给出 --{key}")
            region = find_region(options["region"])
            if options["action"] == "export":
                self._export(actor, profile, region, options)
            else:
                self._import(actor, profile, region, options)
        except (ValidationError, PermissionDenied) as exc:
            raise CommandError("；".join(getattr(exc, "messages", [str(exc)]))) from exc

    def _profile(self, province: str | None) -> Profile:
        profile = Profile.objects.filter(province_code=province or "").first()
        if profile is None:
            codes = "、".join(f"{p.province_code}（{p.name}）" for p in Profile.objects.all())
            raise CommandError(f"请用 --province 选择报送格式：{codes}")
        return profile

    def _export(self, actor: Any, profile: Profile, region: Any, options: dict[str, Any]) -> None:
        found = sheet(actor, profile, region, options["year"], options["month"], timezone.localdate())
        for check in checks(actor, found):
            self.stdout.write(f"[{'通过' if check.ok else '请核对'}] {check.title} {check.summary}")
        output = Path(options["output"] or f"{found.title}.xlsx")
        output.write_bytes(workbook(found))
        self.stdout.write(f"{len(found.rows)} 个项目 → {output}")

    def _import(self, actor: Any, profile: Profile, region: Any, options: dict[str, Any]) -> None:
        if len(options["files"]) != 1:
            raise CommandError("请给出一个返回清单文件")
        path = Path(options["files"][0])
        found = services.upload_return(actor, profile, region, options["year"], options["month"], path.name,
                                       path.read_bytes())
        for row in found.rows:
            for diff in row["diffs"]:
                self.stdout.write(f"第{row['row']}行 {row['name']} {diff['header']}：{diff['ours']} → {diff['theirs']}")
        self.stdout.write(f"已导入返回清单 #{found.pk}，{len(found.rows)} 行；请在“省平台对接”页面确认并采纳")
