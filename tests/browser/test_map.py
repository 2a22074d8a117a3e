"""In headless chromium: the map's points and the project list agree after a filter; a photo
uploaded on the project page is shown to its county and refused to another county."""

from __future__ import annotations

from decimal import Decimal

from conftest import PASSWORD
from PIL import Image
from playwright.sync_api import expect

from keyprojects.core.audit import Source, audit_context
from keyprojects.maps import geo
from keyprojects.projects.models import Stage


def test_the_maps_points_and_the_list_agree_after_a_filter(visitor, cast):
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        for project, lng, lat in ((cast.p_lianshan, "120.60", "40.90"), (cast.p_suizhong, "120.00", "40.30")):
            project.longitude, project.latitude = Decimal(lng), Decimal(lat)
            project.save()
        cast.p_suizhong.stage = Stage.CONSTRUCTION
        cast.p_suizhong.save()
        cast.project("连山区未标注项目", cast.lianshan, Decimal("9000"))
    city = visitor()
    page = city.page
    city.log_in("admin", PASSWORD)
    city.open("/map/?year=2022")
    expect(page.locator("#map[data-points]")).to_have_attribute("data-points", "2")
    expect(page.locator("[data-total=unlocated]")).to_have_text("1")
    expect(page.locator("[data-total=count]")).to_have_text("3")
    expect(page.get_by_role("heading", name="1 个项目未标注位置")).to_be_visible()
    city.shot("map")

    page.get_by_role("button", name="更多筛选").click()
    page.get_by_label("建设阶段").select_option(label="在建")
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.locator("#map[data-points]")).to_have_attribute("data-points", "1")
    shown = int(page.locator("#map-shown").inner_text()) + int(page.locator("[data-total=unlocated]").inner_text())
    city.shot("map-filtered")
    page.get_by_role("link", name="列表查看").click()
    expect(page.locator("[data-total=count]")).to_have_text(str(shown))
    expect(page.locator("#project-table")).to_contain_text(cast.p_suizhong.name)


def test_a_photo_uploaded_on_the_project_page_is_served_to_its_county_and_refused_to_another(visitor, cast, settings,
                                                                                                 tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (1200, 900), (60, 120, 200)).save(photo, "JPEG")
    county = visitor()
    page = county.page
    county.log_in("lianshan", PASSWORD)
    county.open(f"/projects/{cast.p_lianshan.pk}/")
    page.get_by_label("照片或文件", exact=True).set_input_files(str(photo))
    page.get_by_label("照片或文件说明").fill("主体结构封顶")
    page.get_by_role("button", name="上传").click()
    thumb = page.locator("#gallery img").first
    expect(thumb).to_have_attribute("alt", "主体结构封顶")
    page.wait_for_function("() => { const i = document.querySelector('#gallery img'); return i && i.complete && i.naturalWidth > 0; }")
    county.shot("gallery")
    link = page.locator("#gallery a:has(img)").first.get_attribute("href")
    assert page.request.get(county.base_url + link).status == 200

    other = visitor()
    other.log_in("suizhong", PASSWORD)
    assert other.page.request.get(other.base_url + link).status == 404
    assert other.page.request.get(other.base_url + thumb.get_attribute("src")).status == 404


def test_a_project_without_a_position_is_placed_with_a_click_on_the_map(visitor, cast):
    with audit_context(Source.SYSTEM, detail="browser test fixture"):
        cast.p_suizhong.longitude, cast.p_suizhong.latitude = Decimal("120.00"), Decimal("40.30")
        cast.p_suizhong.save()
    clerk = visitor()
    page = clerk.page
    clerk.log_in("lianshan", PASSWORD)
    clerk.open("/map/?year=2022")
    expect(page.locator("#map[data-points]")).to_have_attribute("data-points", "0")
    expect(page.locator("[data-total=unlocated]")).to_have_text("1")
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="标注").click()
    expect(page.locator("#map-placing")).to_contain_text(cast.p_lianshan.name)
    box, settled = None, page.locator("#map").bounding_box()
    for _ in range(50):  # the page scrolls the map into view smoothly: click once it has stopped
        if box == settled:
            break
        box = settled
        page.wait_for_timeout(100)
        settled = page.locator("#map").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#map[data-points]")).to_have_attribute("data-points", "1")
    expect(page.locator("[data-total=unlocated]")).to_have_text("0")
    clerk.shot("placed")
    cast.p_lianshan.refresh_from_db()
    assert geo.contains("211402", float(cast.p_lianshan.longitude), float(cast.p_lianshan.latitude))
    assert cast.p_lianshan.history.first().history_user.username == "lianshan"
