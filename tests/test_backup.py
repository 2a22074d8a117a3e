"""`keyprojects backup` and `keyprojects restore`: the database and the media files in one archive
and back into an empty database, with identical `stats --json` and identical history.

The full demo takes some 200 s to load, too long for a test: the round trip here is the test
cast plus 300 synthetic projects with two years of monthly reports and a photo and a document;
the full demo's restore is measured by hand (docs/operations.md)."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from keyprojects.core import backup
from keyprojects.gallery import services as gallery_services
from keyprojects.projects import services as project_services


def stats_json(capsys, region: str, year: int, as_of: str) -> dict:
    call_command("stats", region=region, year=year, as_of=as_of, json=True)
    return json.loads(capsys.readouterr().out)


def history_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()
            if model.__name__.startswith("Historical")}


def media_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (640, 480), (30, 120, 200)).save(out, "JPEG")
    return SimpleUploadedFile("现场.jpg", out.getvalue(), content_type="image/jpeg")


def test_backup_then_restore_into_an_empty_database_gives_the_same_figures_and_history(
        committed_db, cast, tmp_path, settings, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("generate_synthetic", province="辽宁省", projects=300, months=24, until="2023-06", verbosity=0)
    gallery_services.add_file(cast.lianshan_clerk, cast.p_lianshan.pk, photo(), "主体施工")
    gallery_services.add_file(cast.admin, cast.p_lianshan.pk, SimpleUploadedFile("批复.pdf", b"%PDF-1.4 reply"))
    project_services.update_project(cast.lianshan_clerk, cast.p_lianshan.pk, 1, {"name": "改名后的项目"})
    figures = {(r, y): stats_json(capsys, r, y, f"{y}-06-30") for r in ("葫芦岛市", "辽宁省") for y in (2022, 2023)}
    history = history_counts()
    files = media_files(tmp_path / "media")
    assert sum(history.values()) > 1000 and len(files) == 3  # a photo, its thumbnail, a document

    archive = tmp_path / "backups" / "kp.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as opened:
        names = opened.getnames()
        manifest = json.loads(opened.extractfile("manifest.json").read())
    assert manifest["vendor"] == connection.vendor and manifest["media_files"] == 3
    assert manifest["database"] in names and sum(n.startswith("media/") for n in names) == 3

    # a database in use is never overwritten unless asked
    with pytest.raises(CommandError, match="目标数据库不是空的.*--force"):
        call_command("restore", str(archive))
    assert stats_json(capsys, "葫芦岛市", 2022, "2022-06-30") == figures["葫芦岛市", 2022]

    backup.drop_everything()  # an empty database, and no media: a new machine
    for path in (tmp_path / "media").rglob("*"):
        if path.is_file():
            path.unlink()
    assert backup.tables() == []
    call_command("restore", str(archive), stdout=io.StringIO())

    assert history_counts() == history
    assert media_files(tmp_path / "media") == files
    for (region, year), expected in figures.items():
        assert stats_json(capsys, region, year, f"{year}-06-30") == expected, (region, year)
    # the restored database is a working one: a change is recorded on top of the restored history
    project_services.update_project(cast.lianshan_clerk, cast.p_lianshan.pk, 2, {"name": "再改名"})
    assert history_counts()["projects.HistoricalProject"] == history["projects.HistoricalProject"] + 1


def test_restore_with_force_replaces_a_database_in_use(committed_db, cast, tmp_path, settings, capsys):
    settings.MEDIA_ROOT = tmp_path / "media"
    archive = tmp_path / "kp.tar.gz"
    call_command("backup", output=str(archive), stdout=io.StringIO())
    before = stats_json(capsys, "葫芦岛市", 2022, "2022-06-30")
    project_services.update_project(cast.lianshan_clerk, cast.p_lianshan.pk, 1, {"name": "备份之后的修改"})
    out = io.StringIO()
    call_command("restore", str(archive), force=True, stdout=out)
    assert "删除目标数据库中的" in out.getvalue()
    assert stats_json(capsys, "葫芦岛市", 2022, "2022-06-30") == before
    assert cast.p_lianshan.__class__.objects.get(pk=cast.p_lianshan.pk).name != "备份之后的修改"


def test_restore_refuses_what_is_not_a_backup(db, tmp_path):
    bad = tmp_path / "x.tar.gz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="不是有效的备份文件"):
        call_command("restore", str(bad))
    with pytest.raises(CommandError, match="备份文件不存在"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
