"""Which apps the settings install: the demo and the benchmarks only when KEYPROJECTS_DEMO asks.

Each case loads the settings in a new process, so this test process's settings (the demo
installed, tests/environment.py) are not disturbed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keyprojects

OPTIONAL_APPS = {"keyprojects.demo", "keyprojects.bench"}
OPTIONAL_COMMANDS = {"load_demo", "generate_synthetic", "bench", "bench_import"}

REPORT = """
import json
import django
from django.conf import settings
from django.core.management import get_commands

django.setup()
print(json.dumps({"apps": settings.INSTALLED_APPS, "commands": sorted(get_commands())}))
"""


def installed(tmp_path: Path, demo: str | None) -> tuple[set[str], set[str]]:
    """The apps and the commands the settings give, with KEYPROJECTS_DEMO set to ``demo`` (or unset)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KEYPROJECTS_DEMO", "DATABASE_URL")}
    if demo is not None:
        env["KEYPROJECTS_DEMO"] = demo
    env["KEYPROJECTS_SECRET_KEY"] = "a-test-key-" + "x" * 50  # production settings refuse to start without one
    package_root = str(Path(keyprojects.__file__).resolve().parent.parent)
    env.update(DJANGO_SETTINGS_MODULE="keyprojects.settings", KEYPROJECTS_VAR_DIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, "-c", REPORT], env=env, cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    found = json.loads(done.stdout)
    return set(found["apps"]), set(found["commands"])


def test_production_settings_install_neither_the_demo_nor_the_benchmarks(tmp_path):
    apps, commands = installed(tmp_path, None)
    assert "keyprojects.projects" in apps and "stats" in commands
    assert not apps & OPTIONAL_APPS
    assert not commands & OPTIONAL_COMMANDS


def test_keyprojects_demo_installs_the_demo_and_the_benchmarks(tmp_path):
    apps, commands = installed(tmp_path, "1")
    assert apps >= OPTIONAL_APPS
    assert commands >= OPTIONAL_COMMANDS
