"""A project's photos and documents: uploaded on the project or with a report, judged by their
content (an HTML page named .png is refused), kept under names the server chooses with a
thumbnail for each photo, and served only to whoever may view the project."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from keyprojects.gallery import services
from keyprojects.gallery.models import ProjectFile
from keyprojects.reporting import services as reporting_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(name: str = "工地.png", size: tuple[int, int] = (1600, 1200)) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def upload(client, project, file, caption: str = "主体施工"):
    return client.post(reverse("gallery:upload", args=[project.pk]), {"file": file, "caption": caption}, follow=True)


def test_a_photo_uploaded_on_the_project_is_stored_under_a_chosen_name_with_a_thumbnail(cast, login, media):
    client = login(cast.lianshan_clerk)
    page = upload(client, cast.p_lianshan, png("../../etc/工地.png"))
    assert "已上传" in page.content.decode()
    item = ProjectFile.objects.get()
    assert (item.kind, item.content, item.name, item.caption) == ("photo", "png", "工地.png", "主体施工")
    assert item.file.name.startswith(f"projects/{cast.p_lianshan.pk}/") and "工地" not in item.file.name
    assert (media / item.file.name).is_file() and (media / item.thumbnail.name).is_file()
    with Image.open(media / item.thumbnail.name) as thumb:
        assert thumb.format == "JPEG" and max(thumb.size) == 480
    assert item.history.first().history_user == cast.lianshan_clerk and item.uploaded_by == cast.lianshan_clerk


def test_a_photo_is_served_to_whoever_sees_the_project_and_to_no_one_else(cast, login, client):
    item = services.add_file(cast.lianshan_clerk, cast.p_lianshan.pk, png())
    for user in (cast.lianshan_clerk, cast.admin, cast.dept_clerk, cast.leader_user):
        client.force_login(user)
        response = client.get(reverse("gallery:file", args=[item.pk]))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline; filename*=UTF-8''")
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
        thumb = client.get(reverse("gallery:thumbnail", args=[item.pk]))
        assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    for user in (cast.suizhong_clerk, cast.outsider):
        client.force_login(user)
        assert client.get(reverse("gallery:file", args=[item.pk])).status_code == 404
        assert client.get(reverse("gallery:thumbnail", args=[item.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("gallery:file", args=[item.pk])).status_code == 302  # to the login


def test_an_html_page_named_png_is_refused_and_nothing_is_kept(cast, login, media):
    client = login(cast.lianshan_clerk)
    page = upload(client, cast.p_lianshan, SimpleUploadedFile("photo.png", b"<html><script>alert(1)</script></html>"))
    assert "只接受" in page.content.decode()
    assert not ProjectFile.objects.exists() and not any(media.rglob("*.*"))


def test_a_file_that_only_starts_like_a_png_is_refused(cast, login):
    page = upload(login(cast.lianshan_clerk), cast.p_lianshan,
                  SimpleUploadedFile("x.png", b"\x89PNG\r\n\x1a\n" + b"<html>" * 100))
    assert "照片无法识别" in page.content.decode() and not ProjectFile.objects.exists()


def test_a_file_over_the_size_limit_is_refused(cast, login, monkeypatch):
    monkeypatch.setattr(services, "MAX_MB", 0)
    page = upload(login(cast.lianshan_clerk), cast.p_lianshan, png())
    assert "不能超过 0 MB" in page.content.decode() and not ProjectFile.objects.exists()


def test_only_who_may_edit_the_project_uploads(cast, login):
    assert upload(login(cast.suizhong_clerk), cast.p_lianshan, png()).status_code == 404
    assert upload(login(cast.viewer), cast.p_lianshan, png()).status_code == 403
    assert not ProjectFile.objects.exists()


def test_a_document_is_a_download(cast, login):
    item = services.add_file(cast.admin, cast.p_lianshan.pk, SimpleUploadedFile("可研批复.pdf", b"%PDF-1.4 reply"))
    assert (item.kind, item.thumbnail.name) == ("document", "")
    response = login(cast.lianshan_clerk).get(reverse("gallery:file", args=[item.pk]))
    assert response["Content-Disposition"].startswith("attachment;") and response["X-Content-Type-Options"] == "nosniff"


def test_the_project_page_shows_the_gallery_newest_first_with_the_reports_photos(cast, login):
    today = timezone.localdate()
    period = reporting_services.create_period(cast.admin, cast.city, 2022, 5, today - timedelta(days=2),
                                              today + timedelta(days=3))
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("100"), "completed_ytd": Decimal("100"), "completed_since_start": Decimal("100"),
        "started": True, "started_on": date(2022, 4, 1), "progress": "基础施工"})
    client = login(cast.lianshan_clerk)
    older = services.add_file(cast.lianshan_clerk, cast.p_lianshan.pk, png("一月.png"), "一月")
    page = client.post(reverse("reporting:photo", args=[report.pk]), {"file": png("五月.png"), "caption": "五月"},
                       follow=True)
    assert "照片已上传" in page.content.decode()
    newer = ProjectFile.objects.get(report=report)
    assert newer.project == cast.p_lianshan and reverse("gallery:thumbnail", args=[newer.pk]) in page.content.decode()
    detail = client.get(reverse("projects:detail", args=[cast.p_lianshan.pk]))
    assert list(detail.context["files"]) == [newer, older]
    html = detail.content.decode()
    assert html.index(reverse("gallery:thumbnail", args=[newer.pk])) < html.index(reverse("gallery:thumbnail", args=[older.pk]))
    assert reverse("gallery:upload", args=[cast.p_lianshan.pk]) in html


def test_a_locked_periods_report_takes_no_more_photos(cast, login):
    today = timezone.localdate()
    period = reporting_services.create_period(cast.admin, cast.city, 2022, 5, today - timedelta(days=2),
                                              today + timedelta(days=3))
    report = reporting_services.save_draft(cast.lianshan_clerk, cast.p_lianshan.pk, period.pk, {
        "completed_month": Decimal("100"), "completed_ytd": Decimal("100"), "completed_since_start": Decimal("100"),
        "started": True, "started_on": date(2022, 4, 1), "progress": "基础施工"})
    reporting_services.set_period_state(cast.admin, period.pk, "locked")
    page = login(cast.lianshan_clerk).post(reverse("reporting:photo", args=[report.pk]), {"file": png()}, follow=True)
    assert "已锁定" in page.content.decode() and not ProjectFile.objects.exists()
