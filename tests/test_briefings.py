"""Briefings (简报): written from the figure door, the dashboard's figures on the same date; the
Word file opens and the PDF embeds its fonts; published issues are numbered without gaps and
stay as published after a correction; the scope of who may generate, approve and publish."""

from __future__ import annotations

import io
import re
import zlib
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404
from django.urls import reverse
from docx import Document
from PIL import Image

from keyprojects.accounts.models import Unit, User
from keyprojects.briefings import charts, content, render, services
from keyprojects.briefings.models import Briefing
from keyprojects.core.audit import Source, audit_context
from keyprojects.indicators import figures
from keyprojects.projects.services import EditConflict
from keyprojects.reporting import services as reporting
from keyprojects.reporting.models import ProgressReport
from tests.conftest import region

pytestmark = pytest.mark.django_db
AS_OF = date(2022, 6, 5)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # published issues' files


def user(name: str) -> User:
    return User.objects.get(username=name)


def pdf_streams(pdf: bytes) -> bytes:
    """The PDF's bytes with every Flate stream inflated (WeasyPrint packs objects into compressed
    object streams, so the font dictionaries are found only inside them)."""
    found = [pdf]
    for raw in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            found.append(zlib.decompress(raw))
        except zlib.error:
            continue
    return b"\n".join(found)


def published(admin: User, as_of: date = AS_OF, kind: str = "monthly") -> Briefing:
    draft = services.generate(admin, region("葫芦岛市"), 2022, as_of, kind)
    approved = services.approve(admin, draft.pk, draft.version)
    return services.publish(admin, approved.pk, approved.version)


def test_the_briefings_figures_are_the_dashboards_on_the_same_date(demo, client):
    admin, city = user("admin"), region("葫芦岛市")
    built = content.build(admin, city, 2022, AS_OF)
    stats = figures.year_figures(admin, 2022, AS_OF, city)
    client.force_login(admin)
    shown = client.get(reverse("dashboard"), {"as_of": AS_OF.isoformat()}).context["stats"]
    for source in (stats, shown):
        assert built["figures"]["plan_count"] == source["plan"]["count"]
        assert Decimal(built["figures"]["completed"]) == source["completed_investment"]
        assert Decimal(built["figures"]["annual_plan"]) == source["plan"]["annual_plan"]
        assert built["figures"]["started_or_resumed"] == source["started_or_resumed"]["count"]
        assert built["figures"]["rates"] == {k: str(v) if v is not None else None for k, v in source["rates"].items()}
    # the Huludao article's figures, in the register's words
    assert built["headline"].startswith(
        "1—5月，全市500个重点项目累计完成投资75.96亿元，占年度计划的23.4%，慢于时间进度18.3个百分点；开复工329个，开复工率65.8%")
    assert "开复工329个，开复工率65.8%" in built["headline"]
    counties = next(s for s in built["sections"] if s["key"] == "counties")
    ranked = figures.region_table(admin, 2022, AS_OF, city)
    assert [row[1] for row in counties["table"]["rows"]] == [row["label"] for row in ranked]
    assert {d["name"] for d in built["definitions"]} >= {"投资完成率", "时间进度", "开复工率"}


def test_a_county_briefing_counts_the_county_only(demo):
    clerk_view = content.build(user("lianshan"), region("连山区"), 2022, AS_OF)
    assert clerk_view["figures"]["plan_count"] == figures.year_figures(user("lianshan"), 2022, AS_OF,
                                                                       region("连山区"))["plan"]["count"] < 500
    assert clerk_view["headline"].startswith("1—5月，全区")


def test_the_word_file_opens_with_the_headline_fonts_and_a_page_field(demo):
    built = content.build(user("admin"), region("葫芦岛市"), 2022, AS_OF)
    text = render.Text("葫芦岛市重点项目建设工作简报", "2022年第1期", "葫芦岛市发展和改革委员会", built["headline"],
                       "一是加快开工。\n二是强化要素保障。")
    document = Document(io.BytesIO(render.docx(built, text)))
    paragraphs = [p.text for p in document.paragraphs]
    assert built["headline"] in paragraphs
    assert "二是强化要素保障。" in paragraphs and any(p.endswith("下一步工作") for p in paragraphs)
    assert len(document.tables) >= 2 and document.tables[0].cell(0, 1).text == "县区"
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert 'w:instr="PAGE"' in section.footer._element.xml
    normal = document.styles["Normal"].element.xml
    assert 'w:eastAsia="仿宋"' in normal
    assert 'w:eastAsia="黑体"' in document.styles["Heading 1"].element.xml
    assert len(document.inline_shapes) == 3  # the three charts


def test_the_pdf_embeds_its_fonts(demo):
    built = content.build(user("admin"), region("葫芦岛市"), 2022, AS_OF)
    pdf = render.pdf(built, render.Text("葫芦岛市重点项目建设工作简报", "第1期", "葫芦岛市发展和改革委员会",
                                        built["headline"]))
    assert pdf.startswith(b"%PDF")
    inflated = pdf_streams(pdf)
    assert re.search(rb"/FontFile[23]?\b", inflated)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+Noto-(Serif|Sans)-CJK", inflated) or b"FangSong" in inflated
    assert b"/MediaBox [0 0 595" in inflated  # A4


def test_the_charts_are_opaque_so_the_pdf_embeds_each_once_without_a_mask(demo):
    built = content.build(user("admin"), region("葫芦岛市"), 2022, AS_OF)
    drawn = charts.draw(built)
    assert set(drawn) == {"monthly", "counties", "batches"}
    assert {Image.open(io.BytesIO(png)).mode for png in drawn.values()} == {"RGB"}
    inflated = pdf_streams(render.pdf(built, render.Text("简报", "第1期", "葫芦岛市发展和改革委员会", built["headline"]),
                                      drawn))
    assert len(re.findall(rb"/Subtype\s*/Image", inflated)) == 3 and b"/SMask" not in inflated


def test_a_published_briefing_stays_as_published_after_a_correction(demo):
    admin, city = user("admin"), region("葫芦岛市")
    issue = published(admin)
    assert (issue.state, issue.number) == (Briefing.State.PUBLISHED, 1)
    frozen, word, pdf = issue.content, issue.docx.read(), issue.pdf.read()
    before = figures.year_figures(admin, 2022, AS_OF, city)["completed_investment"]

    report = (ProgressReport.objects.filter(project__region__path__startswith=city.path, status="approved",
                                            period__year=2022, period__month=5).order_by("pk").first())
    reporting.correct_report(admin, report.pk, {
        "completed_month": report.completed_month + 500, "completed_ytd": report.completed_ytd + 500,
        "completed_since_start": report.completed_since_start + 500}, "统计口径更正", report.version)
    after = figures.year_figures(admin, 2022, AS_OF, city)["completed_investment"]
    assert after == before + 500

    issue.refresh_from_db()
    assert issue.content == frozen and Decimal(frozen["figures"]["completed"]) == before
    assert issue.docx.read() == word and issue.pdf.read() == pdf
    page = Document(io.BytesIO(word))
    assert any("75.96亿元" in p.text for p in page.paragraphs)
    with pytest.raises(ValidationError):  # nor can it be edited
        services.edit(admin, issue.pk, issue.version, {"headline": "改过的导语"})
    redo = services.generate(admin, city, 2022, AS_OF)
    assert Decimal(redo.content["figures"]["completed"]) == after


def test_issues_are_numbered_per_region_kind_and_year_without_gaps(demo):
    admin = user("admin")
    first, second = published(admin), published(admin, date(2022, 6, 20))
    ten_day = published(admin, kind="ten-day")
    assert (first.number, second.number, ten_day.number) == (1, 2, 1)
    draft = services.generate(admin, region("葫芦岛市"), 2022, date(2022, 6, 30))
    with pytest.raises(ValidationError):  # a draft is approved before it is published
        services.publish(admin, draft.pk, draft.version)
    draft.refresh_from_db()
    assert draft.number is None
    assert published(admin, date(2022, 6, 30)).number == 3
    assert str(second) == "葫芦岛市重点项目建设工作简报（2022年第2期）"


def test_edits_are_versioned_and_send_an_approved_briefing_back_to_draft(demo):
    admin = user("admin")
    draft = services.generate(admin, region("葫芦岛市"), 2022, AS_OF)
    approved = services.approve(admin, draft.pk, draft.version)
    with pytest.raises(EditConflict):
        services.edit(admin, draft.pk, draft.version, {"next_steps": "旧版本上的修改"})
    edited = services.edit(admin, draft.pk, approved.version, {"next_steps": "一是抓开工。", "editor_note": "请各县区对照"})
    assert (edited.state, edited.approved_by, edited.next_steps) == (Briefing.State.DRAFT, None, "一是抓开工。")
    with pytest.raises(ValidationError) as refused:
        services.edit(admin, draft.pk, edited.version, {"headline": "  "})
    assert "导语不能为空" in str(refused.value)
    assert edited.history.count() == 3  # generated, approved, edited


def test_a_county_clerk_cannot_generate_the_citys_briefing(demo, client):
    clerk, city = user("lianshan"), region("葫芦岛市")
    with pytest.raises(Http404):
        services.generate(clerk, city, 2022, AS_OF)
    with pytest.raises(PermissionDenied):  # nor the county's: an admin's work
        services.generate(clerk, region("连山区"), 2022, AS_OF)
    client.force_login(clerk)
    response = client.post(reverse("briefings:generate"), {"region": city.pk, "year": 2022, "as_of": "2022-06-05",
                                                            "kind": "monthly"})
    assert response.status_code == 200 and "region" in response.context["form"].errors
    assert not Briefing.objects.exists()


def test_a_county_admin_generates_and_publishes_the_countys_briefing_only(demo):
    county = region("连山区")
    with audit_context(Source.SYSTEM, detail="test"):
        unit = Unit.objects.get(name="连山区发展和改革局")
        county_admin = User.objects.create_user("lianshan_admin", password="x", role=User.Role.CITY_ADMIN, unit=unit)
    draft = services.generate(county_admin, county, 2022, AS_OF)
    assert draft.content["issuer"] == "连山区发展和改革局"
    with pytest.raises(Http404):
        services.generate(county_admin, region("葫芦岛市"), 2022, AS_OF)
    for refused in ("lianshan", "viewer", "leader"):
        with pytest.raises((PermissionDenied, Http404)):
            services.approve(user(refused), draft.pk, draft.version)
    approved = services.approve(county_admin, draft.pk, draft.version)
    assert services.publish(county_admin, approved.pk, approved.version).number == 1


def test_the_command_writes_both_formats(demo, tmp_path):
    out = io.StringIO()
    call_command("briefing", "--region", "葫芦岛市", "--year", "2022", "--as-of", "2022-06-05",
                 "-o", str(tmp_path / "简报.docx"), "-o", str(tmp_path / "简报.pdf"), stdout=out)
    document = Document(str(tmp_path / "简报.docx"))
    assert any("累计完成投资75.96亿元" in p.text for p in document.paragraphs)
    assert (tmp_path / "简报.pdf").read_bytes().startswith(b"%PDF")
    assert "用时" in out.getvalue()


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "火星市", "--year", "2022", "--as-of", "2022-06-05"], "找不到区划“火星市”"),
    (["--region", "葫芦岛市", "--year", "2022", "--as-of", "2023-01-05"], "统计截止日期 2023-01-05 不在 2022 年内"),
    (["--region", "葫芦岛市", "--year", "2022", "--as-of", "6月5日"], "格式不正确"),
    (["--region", "葫芦岛市", "--year", "2022", "--as-of", "2022-06-05", "--as-user", "lianshan"], "不在您的权限范围内"),
])
def test_bad_command_input_is_a_clear_chinese_error(demo, tmp_path, args, message):
    with pytest.raises(CommandError) as error:
        call_command("briefing", *args, "-o", str(tmp_path / "x.pdf"))
    assert message in str(error.value)
    assert not (tmp_path / "x.pdf").exists()


def test_a_date_outside_the_year_is_a_form_error_on_the_page(demo, client):
    client.force_login(user("admin"))
    response = client.post(reverse("briefings:generate"), {"region": region("葫芦岛市").pk, "year": 2022,
                                                            "as_of": "2021-12-31", "kind": "monthly"})
    assert response.status_code == 200
    assert "不在 2022 年内" in str(response.context["form"].errors["as_of"])


def test_the_pages_generate_preview_edit_approve_publish_and_download(demo, client):
    client.force_login(user("admin"))
    response = client.post(reverse("briefings:generate"), {"region": region("葫芦岛市").pk, "year": 2022,
                                                            "as_of": "2022-06-05", "kind": "half-month"})
    briefing = Briefing.objects.get()
    assert response.url == reverse("briefings:detail", args=[briefing.pk])
    page = client.get(response.url)
    assert "累计完成投资75.96亿元" in page.content.decode() and "data:image/png;base64," in page.content.decode()
    client.post(reverse("briefings:edit", args=[briefing.pk]), {
        "headline": briefing.headline, "next_steps": "一是加快开工。", "version": briefing.version})
    briefing.refresh_from_db()
    assert briefing.next_steps == "一是加快开工。"
    draft_pdf = client.get(reverse("briefings:pdf", args=[briefing.pk]))
    assert draft_pdf["Content-Type"] == "application/pdf"
    client.post(reverse("briefings:approve", args=[briefing.pk]), {"version": briefing.version})
    client.post(reverse("briefings:publish", args=[briefing.pk]), {"version": briefing.version + 1})
    briefing.refresh_from_db()
    assert (briefing.state, briefing.number) == (Briefing.State.PUBLISHED, 1)
    word = b"".join(client.get(reverse("briefings:docx", args=[briefing.pk])).streaming_content)
    assert word == briefing.docx.read()
    archive = client.get(reverse("briefings:list"), {"state": "published"})
    assert "2022年第1期" in archive.content.decode()

    client.force_login(user("viewer"))  # reads the published issue, not the drafts
    assert client.get(reverse("briefings:detail", args=[briefing.pk])).status_code == 200
    draft = services.generate(user("admin"), region("葫芦岛市"), 2022, date(2022, 6, 30))
    assert client.get(reverse("briefings:detail", args=[draft.pk])).status_code == 404
    assert client.post(reverse("briefings:approve", args=[draft.pk]), {"version": 1}).status_code == 404


def test_a_region_uploads_its_own_word_template(demo, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from keyprojects.briefings.word.make_template import TEMPLATE

    client.force_login(user("admin"))
    city = region("葫芦岛市")
    bad = client.post(reverse("briefings:template") + f"?region={city.pk}",
                      {"file": SimpleUploadedFile("x.docx", b"not a word file")})
    assert bad.status_code == 200 and bad.context["form"].errors
    own = Document(str(TEMPLATE))
    own.paragraphs[0].runs[0].text = "{{ title }}（本市模板）"
    data = io.BytesIO()
    own.save(data)
    response = client.post(reverse("briefings:template") + f"?region={city.pk}",
                           {"file": SimpleUploadedFile("本市模板.docx", data.getvalue())})
    assert response.status_code == 302
    draft = services.generate(user("admin"), region("连山区"), 2022, AS_OF)  # a county uses its city's
    assert Document(io.BytesIO(services.docx_of(draft))).paragraphs[0].text.endswith("（本市模板）")


def test_the_projects_behind_are_counted_as_their_lists_and_the_standings_count_them(demo, client):
    admin, city = user("admin"), region("葫芦岛市")
    built = content.build(admin, city, 2022, AS_OF)
    text = next(s for s in built["sections"] if s["key"] == "behind")["paragraphs"][0]
    lines = figures.project_standings(admin, 2022, AS_OF, city)
    slow = sum(p["standing"] == "behind" for p in lines)
    late = sum(p["standing"] == "late_start" for p in lines)
    assert f"已开工但慢于时间进度的{slow}个，应开工未开工的{late}个" in text
    client.force_login(admin)
    listed = client.get(reverse("projects:list"), {"year": 2022, "as_of": "2022-06-05", "region": city.pk,
                                                   "on_time": "no", "started": "yes"})
    assert listed.context["totals"]["count"] == slow > 0


def test_the_period_is_the_months_the_reports_hold():
    assert content.period(date(2022, 6, 5), 5) == "1—5月"  # May's reports approved in early June
    assert content.period(date(2022, 1, 31), 1) == "1月"
    assert content.period(date(2022, 2, 10), None) == "截至2月10日"


def test_the_briefing_carries_the_published_ranking_of_its_month(demo):
    """Dingxi's monthly rankings are published (load_demo): a briefing whose approved reports
    reach March quotes March's front and back counties; Huludao has none, so no such section."""
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.regions.models import Region

    dingxi = content.build(SYSTEM, Region.objects.find("定西市"), 2022, date(2022, 5, 10))
    ranking = [s for s in dingxi["sections"] if s["key"] == "ranking"]
    assert len(ranking) == 1 and ranking[0]["paragraphs"][0].startswith("3月份")
    assert "前三位的是漳县、陇西县、通渭县" in ranking[0]["paragraphs"][0]
    huludao = content.build(SYSTEM, Region.objects.find("葫芦岛市"), 2022, date(2022, 6, 5))
    assert "ranking" not in [s["key"] for s in huludao["sections"]]


def test_a_provinces_briefing_lists_its_projects_behind(demo):
    # the demo's 辽宁省 holds one city's projects: the province counts what 葫芦岛市 does
    from keyprojects.core.permissions import SYSTEM
    from keyprojects.regions.models import Region

    def behind(where: str) -> str:
        built = content.build(SYSTEM, Region.objects.find(where), 2022, AS_OF)
        return next(s for s in built["sections"] if s["key"] == "behind")["paragraphs"][0]

    assert behind("辽宁省") == behind("葫芦岛市")
