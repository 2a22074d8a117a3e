"""keyprojects restore FILE [--force]: a backup (``keyprojects backup``) brought back into an
empty database; ``--force`` drops every table of a non-empty one first (core.backup)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from keyprojects.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "从备份归档恢复数据库和上传文件（只写入空数据库，除非 --force）/ restore a backup into an empty database"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("archive", metavar="FILE", help="keyprojects backup 写出的归档")
        parser.add_argument("--force", action="store_true", help="目标数据库不是空的也恢复：先删除其中全部表（数据不可找回）")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            manifest = restore(Path(options["archive"]), force=options["force"], say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已恢复 {manifest['created_at']} 的备份（{manifest['media_files']} 个文件，"
                          f"{time.perf_counter() - started:.1f} 秒）。请运行 keyprojects migrate 以应用此后新增的迁移。")
