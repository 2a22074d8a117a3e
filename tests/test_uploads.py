"""Uploads (issue 23, finding 6), one test per probe, across the places a user uploads a file: a
project's photos and documents (gallery), an approval's document, a meeting's attachments and a
problem reply's. Each is checked by its content and its extension against an allow-list, stored
under a name the server chooses, and served only through a view that checks scope, with
Content-Disposition and X-Content-Type-Options: nosniff."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from test_approvals import catalogue  # noqa: F401 (a fixture)

from keyprojects.approvals import services as approval_services
from keyprojects.approvals.models import ProjectApproval
from keyprojects.dispatch import services as dispatch_services
from keyprojects.gallery import services as gallery_services

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RANDOM_NAME = re.compile(r"[0-9a-f]{32}\.(pdf|png|jpg|docx)$")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 90)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def uploaded(cast, catalogue):  # noqa: F811
    """One file of each kind of upload, each sent under a hostile name."""
    hostile = "../../../etc/cron.d/x.pdf"
    photo = gallery_services.add_file(cast.lianshan_clerk, cast.p_lianshan.pk, SimpleUploadedFile("../../a.png", png()))
    approval_services.schedule_project(cast.lianshan_clerk, cast.p_lianshan.pk, date(2022, 6, 1))
    approval = ProjectApproval.objects.filter(project=cast.p_lianshan).first()
    approval = approval_services.record(cast.lianshan_clerk, approval.pk, approval.version,
                                        {"document": SimpleUploadedFile(hostile, PDF)})
    meeting = dispatch_services.save_meeting(cast.admin, None, None, {
        "kind": "on_site", "title": "现场调度", "region": cast.lianshan, "date": date(2022, 7, 1)})
    minutes = dispatch_services.add_meeting_attachment(cast.admin, meeting.pk, SimpleUploadedFile(hostile, PDF), "minutes")
    return {"photo": (photo.file, reverse("gallery:file", args=[photo.pk])),
            "approval": (approval.document, reverse("approvals:document", args=[approval.pk])),
            "minutes": (minutes.file, reverse("dispatch:meeting_file", args=[minutes.pk]))}


def test_content_that_is_not_an_allowed_kind_is_refused_whatever_its_name(cast):
    for name, content in (("纪要.pdf", b"MZ\x90\x00 an executable"), ("照片.png", b"<script>alert(1)</script>"),
                          ("页面.pdf", b"<html><script>x</script></html>")):
        with pytest.raises(ValidationError, match="按文件内容判断"):
            gallery_services.add_file(cast.lianshan_clerk, cast.p_lianshan.pk, SimpleUploadedFile(name, content))
    assert not cast.p_lianshan.files.exists()


def test_an_allowed_content_under_another_extension_is_refused(cast):
    for name, content in (("报告.html", PDF), ("报告.svg", PDF), ("现场.jpg", png()), ("无扩展名", PDF)):
        with pytest.raises(ValidationError, match="扩展名与内容"):
            gallery_services.add_file(cast.lianshan_clerk, cast.p_lianshan.pk, SimpleUploadedFile(name, content))
    meeting = dispatch_services.save_meeting(cast.admin, None, None, {
        "kind": "on_site", "title": "现场调度", "region": cast.city, "date": date(2022, 7, 1)})
    with pytest.raises(ValidationError, match="扩展名与内容"):
        dispatch_services.add_meeting_attachment(cast.admin, meeting.pk, SimpleUploadedFile("纪要.exe", PDF), "minutes")
    assert not cast.p_lianshan.files.exists() and not meeting.attachments.exists()


def test_files_are_stored_under_names_the_server_chooses(uploaded, tmp_path):
    for what, (stored, _url) in uploaded.items():
        assert RANDOM_NAME.search(stored.name), (what, stored.name)
        assert ".." not in stored.name and "cron" not in stored.name and "a.png" not in stored.name, what
        assert (tmp_path / "media" / stored.name).is_file(), what
    assert not (tmp_path / "etc").exists()


def test_files_are_served_only_through_a_view_that_checks_scope(cast, client, uploaded):
    client.force_login(cast.suizhong_clerk)  # another county
    for what, (stored, url) in uploaded.items():
        assert client.get(url).status_code == 404, what
        assert client.get(f"/media/{stored.name}").status_code == 404, what  # the media folder is not served
    client.logout()
    for what, (_stored, url) in uploaded.items():
        assert client.get(url).status_code == 302, what  # to the login page


def test_each_file_is_served_with_content_disposition_and_nosniff(cast, client, uploaded):
    client.force_login(cast.lianshan_clerk)
    for what, (_stored, url) in uploaded.items():
        response = client.get(url)
        assert response.status_code == 200, what
        assert response["X-Content-Type-Options"] == "nosniff", what
        assert re.match(r"(inline|attachment); filename\*=UTF-8''", response["Content-Disposition"]), what
        assert response["Content-Type"] in ("image/png", "application/pdf"), (what, response["Content-Type"])
