"""keyprojects backup [-o FILE]: the database and the media files in one archive (core.backup)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from keyprojects.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "备份数据库和上传文件到一个归档 / back up the database and the media files to one archive"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("-o", "--output", metavar="FILE",
                            help="归档文件（.tar.gz）；默认 var/backups/keyprojects-日期时间.tar.gz")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["output"] or Path(settings.VAR_DIR) / "backups" /
                   f"keyprojects-{timezone.localtime():%Y%m%d-%H%M%S}.tar.gz")
        started = time.perf_counter()
        try:
            manifest = backup(out)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已备份到 {out}（{manifest['vendor']} 数据库，{manifest['media_files']} 个文件，"
                          f"{out.stat().st_size / 1024 / 1024:.1f} MB，{time.perf_counter() - started:.1f} 秒）")
