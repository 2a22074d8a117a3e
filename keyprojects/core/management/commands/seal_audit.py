"""Seal into the audit chain every history row and sign-in not sealed yet: the rows written
before the chain existed (run once after upgrading), or those a crash left unsealed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from keyprojects.core.chain import seal_unsealed


class Command(BaseCommand):
    help = "封存尚未加入审计链的历史记录 / seal history rows not yet in the audit chain"

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = seal_unsealed()
        self.stdout.write(f"已封存 {sealed} 条记录")
