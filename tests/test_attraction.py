"""Investment attraction: leads through their stages, landing into the library (one project,
linked both ways, counted once), ending with a reason, the figures and the lists they link to,
scope, who may do what, the API, and the "1+1托4" packages."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from conftest import api
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from keyprojects.accounts.models import Leader
from keyprojects.attraction import services
from keyprojects.attraction.models import Agreement, Lead, LeadStage, Package, PackageItem, Stage
from keyprojects.core.permissions import SYSTEM
from keyprojects.indicators import figures
from keyprojects.projects.models import Project
from keyprojects.projects.models import Stage as ProjectStage

pytestmark = pytest.mark.django_db

TODAY = date(2022, 7, 1)
YEAR, AS_OF = 2022, date(2022, 6, 30)


def lead_data(cast, **more):
    return {"region": cast.lianshan, "name": "连山区新型储能装备制造项目", "investor": "深圳华晟新能源有限公司",
            "origin": "province", "investor_place": "广东省深圳市", "industry": "新能源", "chain": "储能",
            "amount": Decimal("50000"), "unit": cast.lianshan_fgj, "leader": cast.leader, "found_on": date(2022, 1, 10),
            **more}


def new_lead(cast, user=None, **more) -> Lead:
    return services.save_lead(user or cast.admin, None, lead_data(cast, **more))


def signed(cast, user=None, **more) -> Lead:
    """A lead moved through talks, intention, framework agreement to its formal contract."""
    lead = new_lead(cast, user, **more)
    user = user or cast.admin
    for stage, day, amount in ((Stage.TALKS, date(2022, 2, 1), None), (Stage.INTENTION, date(2022, 2, 20), "40000"),
                               (Stage.FRAMEWORK, date(2022, 3, 15), "45000"), (Stage.SIGNED, date(2022, 4, 2), "50000")):
        lead = services.change_stage(user, lead.pk, lead.version, stage, day, amount=amount, today=TODAY)
    return lead


def test_a_lead_moves_through_dated_stages_each_agreement_with_its_amount(cast):
    lead = signed(cast)
    assert lead.stage == Stage.SIGNED
    assert (lead.intention_on, lead.framework_on, lead.signed_on) == (date(2022, 2, 20), date(2022, 3, 15), date(2022, 4, 2))
    assert [s.to_stage for s in LeadStage.objects.filter(lead=lead)] == ["clue", "talks", "intention", "framework",
                                                                         "signed"]
    assert {a.kind: a.amount for a in lead.agreements.all()} == {
        "intention": Decimal("40000"), "framework": Decimal("45000"), "contract": Decimal("50000")}
    assert lead.history.count() >= 5  # every change audited


def test_a_stage_cannot_go_back_nor_before_the_last_date_nor_without_an_amount(cast):
    lead = signed(cast)
    with pytest.raises(ValidationError) as back:
        services.change_stage(cast.admin, lead.pk, lead.version, Stage.TALKS, date(2022, 5, 1), today=TODAY)
    assert "不能从“正式签约”变更为“洽谈”" in str(back.value)
    other = new_lead(cast, name="连山区储能电站项目")
    with pytest.raises(ValidationError) as early:
        services.change_stage(cast.admin, other.pk, other.version, Stage.TALKS, date(2022, 1, 1), today=TODAY)
    assert "date" in early.value.error_dict
    with pytest.raises(ValidationError) as no_amount:
        services.change_stage(cast.admin, other.pk, other.version, Stage.INTENTION, date(2022, 2, 1), today=TODAY)
    assert "协议金额" in str(no_amount.value.error_dict["amount"])
    assert Lead.objects.get(pk=other.pk).stage == Stage.CLUE and not Agreement.objects.filter(lead=other).exists()


def test_landing_registers_one_library_project_linked_both_ways_and_counted_once(cast):
    lead = signed(cast)
    before = Project.objects.count()
    landed = services.land(cast.admin, lead.pk, lead.version, {
        "on": date(2022, 5, 10), "registered_on": date(2022, 5, 8), "land_on": date(2022, 5, 9),
        "started_on": date(2022, 6, 1), "sector": cast.sector, "address": "连山区化工园区"}, today=TODAY)
    assert Project.objects.count() == before + 1
    project = landed.project
    assert project is not None and project.attraction_lead == landed
    assert (project.name, project.region, project.total_investment) == (lead.name, cast.lianshan, Decimal("50000"))
    assert project.responsible_unit == cast.lianshan_fgj and list(project.leaders.all()) == [cast.leader]
    assert project.stage == ProjectStage.CONSTRUCTION and project.actual_start == date(2022, 6, 1)
    assert project.stage_transitions.count() == 1
    found = figures.attraction(SYSTEM, YEAR, AS_OF, cast.city)
    assert (found["signed_projects"], found["landed"], found["started"]) == (1, 1, 1)
    assert Project.objects.filter(name=lead.name).count() == 1
    with pytest.raises(ValidationError):  # landing twice would register it twice
        services.land(cast.admin, lead.pk, landed.version, {"on": date(2022, 5, 11), "registered_on": date(2022, 5, 8)},
                      today=TODAY)
    assert Project.objects.count() == before + 1


def test_works_started_after_landing_move_the_library_project_under_construction(cast):
    lead = signed(cast)
    lead = services.land(cast.admin, lead.pk, lead.version, {"on": date(2022, 5, 10), "registered_on": date(2022, 5, 8)},
                         today=TODAY)
    assert lead.project.stage == ProjectStage.PREPARATION
    lead = services.record_start(cast.admin, lead.pk, lead.version, date(2022, 6, 15), today=TODAY)
    project = Project.objects.get(pk=lead.project_id)
    assert lead.started_on == date(2022, 6, 15) and project.stage == ProjectStage.CONSTRUCTION
    assert figures.attraction(SYSTEM, YEAR, AS_OF, cast.city)["started"] == 1
    assert figures.attraction(SYSTEM, YEAR, date(2022, 6, 10), cast.city)["started"] == 0  # (as of a date before)


def test_a_lead_that_dies_says_why(cast):
    lead = new_lead(cast)
    with pytest.raises(ValidationError) as missing:
        services.die(cast.admin, lead.pk, lead.version, date(2022, 3, 1), "  ", today=TODAY)
    assert "终止原因" in str(missing.value.error_dict["death_reason"])
    dead = services.die(cast.admin, lead.pk, lead.version, date(2022, 3, 1), "投资方战略调整，转投他地", today=TODAY)
    assert (dead.stage, dead.died_on, dead.death_reason) == (Stage.DEAD, date(2022, 3, 1), "投资方战略调整，转投他地")
    assert dead.stages.last().note == "投资方战略调整，转投他地"
    with pytest.raises(ValidationError):
        services.change_stage(cast.admin, lead.pk, dead.version, Stage.TALKS, date(2022, 3, 2), today=TODAY)


def test_the_signed_amount_counts_a_lead_signing_both_in_the_period_once_at_its_contract(cast):
    signed(cast)  # framework 45000 and contract 50000, both in 2022
    framework_only = new_lead(cast, name="连山区光伏发电项目", amount=Decimal("30000"))
    services.change_stage(cast.admin, framework_only.pk, None, Stage.FRAMEWORK, date(2022, 3, 1), amount="30000",
                          today=TODAY)
    found = figures.attraction(SYSTEM, YEAR, AS_OF, cast.city)
    assert found["signed_amount"] == Decimal("80000")
    assert (found["intentions"], found["framework_agreements"], found["signed_projects"]) == (1, 2, 1)
    assert figures.attraction(SYSTEM, YEAR, date(2022, 3, 31), cast.city)["signed_amount"] == Decimal("75000")


def _totals(response) -> dict[str, str]:
    return dict(re.findall(r'data-total="(\w+)">([^<]+)<', response.content.decode()))


def test_every_figure_links_to_a_ledger_whose_totals_equal_it(cast, client):
    lead = signed(cast)
    services.land(cast.admin, lead.pk, lead.version, {"on": date(2022, 5, 10), "registered_on": date(2022, 5, 8),
                                                      "started_on": date(2022, 5, 20)}, today=TODAY)
    services.report_funds(cast.admin, lead.pk, 2022, 5, "3000", "3000", today=TODAY)
    other = new_lead(cast, name="绥中县风电装备项目", region=cast.suizhong, unit=cast.suizhong_fgj)
    services.change_stage(cast.admin, other.pk, None, Stage.INTENTION, date(2022, 3, 1), amount="9000", today=TODAY)
    services.save_event(cast.admin, None, {"region": cast.city, "kind": "visit_out", "title": "赴深圳新能源招商",
                                           "date": date(2022, 2, 1), "unit": cast.fgw, "leader": cast.leader})
    found = figures.attraction(cast.admin, YEAR, AS_OF, cast.city)
    assert (found["events"], found["intentions"], found["signed_projects"], found["funds_in_place"]) == (
        1, 2, 1, Decimal("3000"))
    assert found["funds_in_place_rate"] == Decimal("6.0")
    client.force_login(cast.admin)
    page = client.get("/attraction/summary/", {"year": YEAR, "as_of": AS_OF.isoformat(), "region": cast.city.pk})
    links = dict(re.findall(r'href="(/attraction/[^"]*reached=(\w+)[^"]*)"', page.content.decode())[::-1])
    assert links
    wanted = {"intention": ("intentions", "2"), "framework": ("framework_agreements", "1"),
              "signed": ("signed_projects", "1"), "landed": ("landed", "1"), "started": ("started", "1")}
    for url in {u.replace("&amp;", "&") for u in links}:
        if re.search(r"[?&](unit|leader|chain)=", url):
            continue  # (a group's row: checked below)
        reached = re.search(r"reached=(\w+)", url).group(1)
        if reached in wanted:
            key, value = wanted[reached]
            assert _totals(client.get(url))[key] == value, url
            assert _totals(client.get(url))["count"] == value, url
    by_unit = {row["label"]: row for row in found["by"]["unit"]}
    assert by_unit["绥中县发展和改革局"]["intentions"] == 1 and by_unit["连山区发展和改革局"]["signed_projects"] == 1
    events = client.get("/attraction/events/", {"year": YEAR, "as_of": AS_OF.isoformat()})
    assert _totals(events)["events"] == "1"


def test_without_a_period_the_ledger_and_summary_count_the_latest_leads_year_and_say_so(cast, client):
    """As the dashboard counts to the day its data speaks for: the year of the latest lead (here
    2022, to its end), not this year's empty one; a period asked for is kept, without a reason."""
    signed(cast)
    client.force_login(cast.admin)
    for url in ("/attraction/", "/attraction/summary/"):
        page = client.get(url)
        assert (page.context["year"], page.context["as_of"]) == (2022, date(2022, 12, 31)), url
        assert "统计期 2022-01-01 至 2022-12-31（最近登记线索之年的年末）" in page.content.decode(), url
    assert client.get("/attraction/").context["totals"]["signed_projects"] == 1
    asked = client.get("/attraction/", {"year": 2022, "as_of": AS_OF.isoformat()})
    assert asked.context["as_of"] == AS_OF and "最近登记线索" not in asked.content.decode()


def test_the_ledger_exports_its_rows_with_the_totals_line(cast, client):
    signed(cast)
    client.force_login(cast.admin)
    response = client.get("/attraction/export/", {"year": YEAR, "as_of": AS_OF.isoformat()})
    assert response.status_code == 200 and "spreadsheetml" in response["Content-Type"]
    import io

    from python_calamine import CalamineWorkbook
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_name("招商项目台账").to_python()
    assert "正式签约 1 个" in sheet[1][0] and sheet[3][1] == "连山区新型储能装备制造项目"


def test_a_county_clerk_sees_only_their_county_s_leads(cast, client):
    mine = new_lead(cast)
    theirs = new_lead(cast, name="绥中县风电装备项目", region=cast.suizhong, unit=cast.suizhong_fgj)
    client.force_login(cast.lianshan_clerk)
    listing = client.get("/attraction/", {"year": YEAR, "as_of": AS_OF.isoformat()}).content.decode()
    assert mine.name in listing and theirs.name not in listing
    assert client.get(f"/attraction/{theirs.pk}/").status_code == 404
    assert client.get(f"/attraction/{mine.pk}/").status_code == 200
    rows = api(cast.lianshan_clerk).get("/api/attraction/leads/").json()["results"]
    assert [r["name"] for r in rows] == [mine.name]
    assert api(cast.lianshan_clerk).get(f"/api/attraction/leads/{theirs.pk}/").status_code == 404
    assert figures.attraction(cast.lianshan_clerk, YEAR, AS_OF)["signed_projects"] == 0


def test_who_may_register_move_and_land_a_lead(cast):
    lead = new_lead(cast)
    # a county clerk: their county, not another
    services.change_stage(cast.lianshan_clerk, lead.pk, None, Stage.TALKS, date(2022, 2, 1), today=TODAY)
    with pytest.raises(PermissionDenied):
        new_lead(cast, cast.lianshan_clerk, name="绥中县项目", region=cast.suizhong, unit=cast.suizhong_fgj)
    with pytest.raises(Http404):
        services.change_stage(cast.suizhong_clerk, lead.pk, None, Stage.INTENTION, date(2022, 2, 2), amount=1,
                              today=TODAY)
    # a department clerk: the leads their unit follows, none of another unit's
    own = new_lead(cast, cast.dept_clerk, name="工信局跟进的装备制造项目", unit=cast.gxj)
    assert own.unit == cast.gxj
    with pytest.raises(PermissionDenied):
        new_lead(cast, cast.dept_clerk, name="别人的项目", unit=cast.fgw)
    with pytest.raises(Http404):
        services.change_stage(cast.dept_clerk, lead.pk, None, Stage.INTENTION, date(2022, 2, 2), amount=1, today=TODAY)
    # read-only roles change nothing
    for reader in (cast.viewer, cast.leader_user):
        with pytest.raises(PermissionDenied):
            services.change_stage(reader, lead.pk, None, Stage.INTENTION, date(2022, 2, 2), amount=1, today=TODAY)
    with pytest.raises(Http404):
        services.change_stage(cast.outsider, lead.pk, None, Stage.INTENTION, date(2022, 2, 2), amount=1, today=TODAY)
    # landing registers a library project: not a department clerk's to do
    signed_own = signed(cast, cast.dept_clerk, name="工信局签约项目", unit=cast.gxj)
    with pytest.raises(PermissionDenied):
        services.land(cast.dept_clerk, signed_own.pk, None, {"on": date(2022, 5, 1), "registered_on": date(2022, 5, 1)},
                      today=TODAY)
    assert Lead.objects.get(pk=signed_own.pk).project_id is None
    services.land(cast.admin, signed_own.pk, None, {"on": date(2022, 5, 1), "registered_on": date(2022, 5, 1)},
                  today=TODAY)


def test_the_api_round_trip_of_a_lead(cast):
    client = api(cast.lianshan_clerk)
    made = client.post("/api/attraction/leads/", {
        "name": "连山区马铃薯全粉加工项目", "region": cast.lianshan.pk, "investor": "甘肃薯源农业科技有限公司",
        "origin": "city", "industry": "现代农业", "chain": "马铃薯", "amount": "12000", "found_on": "2022-03-01",
        "unit": cast.lianshan_fgj.pk}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["stage"] == "clue" and body["amount"] == "12000.0000"
    moved = client.post(f"/api/attraction/leads/{body['id']}/stage/", {
        "version": body["version"], "to_stage": "intention", "on": "2022-03-10", "amount": "12000"}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["stage"] == "intention" and moved.json()["agreements"][0]["kind"] == "intention"
    stale = client.post(f"/api/attraction/leads/{body['id']}/stage/", {
        "version": body["version"], "to_stage": "framework", "on": "2022-03-11", "amount": "1"}, format="json")
    assert stale.status_code == 409
    changed = client.patch(f"/api/attraction/leads/{body['id']}/", {"version": moved.json()["version"],
                                                                     "chain": "马铃薯精深加工"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["chain"] == "马铃薯精深加工" and changed.json()["name"] == "连山区马铃薯全粉加工项目"
    event = client.post("/api/attraction/events/", {"kind": "online", "title": "连山区线上招商推介会", "date": "2022-03-01",
                                                    "region": cast.lianshan.pk, "unit": cast.lianshan_fgj.pk},
                        format="json")
    assert event.status_code == 201, event.content
    assert client.get("/api/attraction/events/").json()["count"] == 1


def test_bad_api_input_is_a_chinese_400_naming_the_field(cast):
    client = api(cast.admin)
    lead = new_lead(cast)
    response = client.post("/api/attraction/leads/", {"name": "", "region": cast.lianshan.pk, "investor": "某公司",
                                                      "origin": "mars", "industry": "新能源", "amount": "-5",
                                                      "found_on": "2022-03-01", "unit": cast.fgw.pk}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "origin" in body["errors"] and "提交的数据有误" in body["message"]
    dying = client.post(f"/api/attraction/leads/{lead.pk}/die/", {"version": lead.version, "on": "2022-03-01",
                                                                 "reason": ""}, format="json")
    assert dying.status_code == 400 and "reason" in dying.json()["errors"]
    early = client.post(f"/api/attraction/leads/{lead.pk}/stage/", {"version": lead.version, "to_stage": "talks",
                                                                   "on": "2021-12-01"}, format="json")
    assert early.status_code == 400 and "日期不能早于" in early.json()["errors"]["date"][0]
    assert Lead.objects.get(pk=lead.pk).stage == Stage.CLUE


def test_funds_in_place_are_reported_by_month_for_a_signed_lead(cast):
    lead = new_lead(cast)
    with pytest.raises(ValidationError) as unsigned:
        services.report_funds(cast.admin, lead.pk, 2022, 5, "100", today=TODAY)
    assert "lead" in unsigned.value.error_dict
    lead = signed(cast, name="连山区储能项目二期")
    services.report_funds(cast.lianshan_clerk, lead.pk, 2022, 5, "2000", "1500", today=TODAY)
    services.report_funds(cast.lianshan_clerk, lead.pk, 2022, 5, "2500", "1500", today=TODAY)  # a correction
    with pytest.raises(ValidationError) as more:
        services.report_funds(cast.lianshan_clerk, lead.pk, 2022, 6, "100", "200", today=TODAY)
    assert "out_of_province" in more.value.error_dict
    found = figures.attraction(SYSTEM, YEAR, AS_OF, cast.city)
    assert (found["funds_in_place"], found["funds_out_of_province"]) == (Decimal("2500"), Decimal("1500"))
    assert found["funds_in_place_rate"] == Decimal("5.0")


def test_a_leader_s_package_holds_four_kinds_of_items_shown_on_their_page(cast, client):
    lead = new_lead(cast)
    package = services.save_package(cast.admin, None, {"year": YEAR, "leader": cast.leader, "lead_unit": cast.gxj,
                                                       "units": [cast.fgw, cast.gxj]})
    assert list(package.units.all()) == [cast.fgw]  # (the lead department is not also a helper)
    services.add_item(cast.admin, package.pk, "project", cast.p_lianshan)
    services.add_item(cast.admin, package.pk, "prework", cast.p_suizhong)
    services.add_item(cast.admin, package.pk, "enterprise", cast.company)
    services.add_item(cast.admin, package.pk, "lead", lead)
    with pytest.raises(ValidationError):
        services.add_item(cast.admin, package.pk, "enterprise", cast.fgw)  # not an enterprise
    with pytest.raises(ValidationError):
        services.add_item(cast.admin, package.pk, "project", cast.p_jinzhou)  # outside the city
    with pytest.raises(PermissionDenied):
        services.add_item(cast.lianshan_clerk, package.pk, "lead", lead)
    found = figures.packages(SYSTEM, YEAR, cast.city)
    assert {k: found[k] for k in ("leaders", "departments", "projects", "prework_projects", "enterprises",
                                  "attraction_projects")} == {"leaders": 1, "departments": 2, "projects": 1,
                                                              "prework_projects": 1, "enterprises": 1,
                                                              "attraction_projects": 1}
    client.force_login(cast.leader_user)
    page = client.get("/leaders/me/", {"year": YEAR}).content.decode()
    assert "1+1托4" in page and cast.company.name in page and lead.name in page and cast.p_suizhong.name in page
    listing = client.get("/attraction/packages/", {"year": YEAR, "kind": "lead"})
    assert _totals(listing)["items"] == str(found["attraction_projects"])
    assert PackageItem.objects.filter(package=package).count() == 4


def test_the_ledger_lists_with_a_bounded_number_of_queries(cast, client, django_assert_max_num_queries):
    for n in range(12):
        signed(cast, name=f"连山区储能装备项目{n}")
    client.force_login(cast.admin)
    with django_assert_max_num_queries(30):
        assert client.get("/attraction/", {"year": YEAR, "as_of": AS_OF.isoformat()}).status_code == 200


# --- the packages' pages, kept by the city's admin -------------------------------------------------

def _package(cast, **more):
    return services.save_package(cast.admin, None, {"year": YEAR, "leader": cast.leader, "lead_unit": cast.gxj,
                                                    "units": [cast.fgw], **more})


def test_the_package_page_offers_a_capped_search_of_the_regions_projects_and_takes_any_of_them(cast, login):
    """A province's 20,000 projects are not all put in the add-item form: the first ``OFFERED`` that
    match what was looked for, said so; a project not offered (beyond the cap) is still accepted."""
    from keyprojects.attraction import forms as attraction_forms

    package = _package(cast)
    Project.objects.bulk_create([Project(name=f"葫芦岛测试项目{n:03d}", region=cast.lianshan,
                                         total_investment=Decimal(100)) for n in range(attraction_forms.OFFERED + 5)])
    admin = login(cast.admin)
    page = admin.get(f"/attraction/packages/{package.pk}/")
    offered = list(page.context["item_form"].fields["project"].queryset)
    assert len(offered) == attraction_forms.OFFERED
    shown = page.content.decode()
    in_city = Project.objects.visible_to(cast.admin).filter(region__path__startswith=cast.city.path).count()
    assert in_city > attraction_forms.OFFERED + 5  # the city's own and the new ones
    assert f"符合的项目 {in_city} 个" in shown and "data-searchable" in shown
    last = Project.objects.get(name=f"葫芦岛测试项目{attraction_forms.OFFERED + 4:03d}")
    assert last not in offered and f'value="{last.pk}"' not in shown
    found = admin.get(f"/attraction/packages/{package.pk}/", {"find": "项目054"})
    assert list(found.context["item_form"].fields["project"].queryset) == [last]
    assert admin.get(f"/attraction/packages/{package.pk}/", {"find": cast.p_lianshan.code or "苯二胺"}) \
        .context["item_form"].found["project"] >= 1
    response = admin.post(f"/attraction/packages/{package.pk}/items/", {
        "item-kind": "project", "item-project": last.pk, "item-version": package.version})
    assert response.status_code == 302 and package.items.get().target == last


def test_the_city_admin_creates_a_package_and_adds_and_removes_items_on_its_pages(cast, login):
    lead = new_lead(cast)
    admin = login(cast.admin)
    assert admin.get("/attraction/packages/new/").status_code == 200
    response = admin.post("/attraction/packages/new/", {"year": YEAR, "leader": cast.leader.pk,
                                                        "lead_unit": cast.gxj.pk, "units": [cast.fgw.pk]})
    package = Package.objects.get(leader=cast.leader, year=YEAR)
    assert response.status_code == 302 and response["Location"] == f"/attraction/packages/{package.pk}/"
    assert list(package.units.all()) == [cast.fgw] and package.region == cast.city
    page = admin.get(f"/attraction/packages/{package.pk}/")
    assert page.status_code == 200 and page.context["item_form"] is not None
    for kind, field, target in (("project", "project", cast.p_lianshan), ("prework", "project", cast.p_suizhong),
                                ("enterprise", "enterprise", cast.company), ("lead", "lead", lead)):
        package.refresh_from_db()
        response = admin.post(f"/attraction/packages/{package.pk}/items/", {
            "item-kind": kind, f"item-{field}": target.pk, "item-version": package.version})
        assert response.status_code == 302
    assert {(i.kind, i.target) for i in package.items.all()} == {
        ("project", cast.p_lianshan), ("prework", cast.p_suizhong), ("enterprise", cast.company), ("lead", lead)}
    # a kind without its target, and a target twice: refused with the field named, nothing saved
    package.refresh_from_db()
    admin.post(f"/attraction/packages/{package.pk}/items/", {"item-kind": "enterprise", "item-version": package.version})
    admin.post(f"/attraction/packages/{package.pk}/items/", {"item-kind": "lead", "item-lead": lead.pk,
                                                             "item-version": package.version})
    shown = admin.get(f"/attraction/packages/{package.pk}/").content.decode()
    assert "请选择该类别对应的一项" in shown and "已在该包抓责任组中" in shown
    assert package.items.count() == 4
    # taking one out; then an old version is a conflict, not a silent second removal
    item = package.items.get(kind="enterprise")
    package.refresh_from_db()
    stale = package.version
    assert admin.post(f"/attraction/packages/{package.pk}/items/{item.pk}/remove/",
                      {"version": stale}).status_code == 302
    assert not package.items.filter(pk=item.pk).exists()
    other = package.items.get(kind="lead")
    admin.post(f"/attraction/packages/{package.pk}/items/{other.pk}/remove/", {"version": stale})
    assert package.items.filter(pk=other.pk).exists()
    # every change is in the package's history, by the admin
    package.refresh_from_db()
    assert set(package.history.values_list("version", flat=True)) == set(range(1, package.version + 1))
    assert {h.history_user for h in package.history.all()} == {cast.admin}
    assert PackageItem.history.filter(kind="enterprise", history_type="-").exists()


def test_a_package_edit_checks_the_version_and_the_leader_has_one_package_a_year(cast, login):
    package = _package(cast)
    admin = login(cast.admin)
    form = admin.get(f"/attraction/packages/{package.pk}/edit/")
    assert form.status_code == 200 and form.context["form"].initial["version"] == package.version
    services.save_package(cast.admin, package.pk, {"lead_unit": cast.fgw}, package.version)  # someone else first
    response = admin.post(f"/attraction/packages/{package.pk}/edit/", {
        "year": YEAR, "leader": cast.leader.pk, "lead_unit": cast.gxj.pk, "version": package.version})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    package.refresh_from_db()
    assert package.lead_unit == cast.fgw
    response = admin.post("/attraction/packages/new/", {"year": YEAR, "leader": cast.leader.pk, "lead_unit": cast.gxj.pk})
    assert response.status_code == 200 and "已有包抓责任组" in str(response.context["form"].errors["leader"])


def test_only_the_city_admin_keeps_packages_and_a_county_clerk_sees_only_their_scope(cast, login):
    package = _package(cast)
    services.add_item(cast.admin, package.pk, "project", cast.p_lianshan)
    item = package.items.get()
    county_leader = Leader.objects.create(name="李明", title="区长", region=cast.lianshan)
    county = services.save_package(cast.admin, None, {"year": YEAR, "leader": county_leader,
                                                      "lead_unit": cast.lianshan_fgj})
    for user in (cast.lianshan_clerk, cast.dept_clerk, cast.leader_user, cast.viewer, cast.owner):
        client = login(user)
        assert client.get("/attraction/packages/new/").status_code == 403
        assert client.post("/attraction/packages/new/", {"year": YEAR, "leader": cast.leader.pk,
                                                         "lead_unit": cast.gxj.pk}).status_code == 403
    clerk = login(cast.lianshan_clerk)
    assert clerk.get(f"/attraction/packages/{package.pk}/").status_code == 404  # the city's: outside their scope
    assert clerk.get(f"/attraction/packages/{county.pk}/").status_code == 200
    assert clerk.get(f"/attraction/packages/{county.pk}/edit/").status_code == 403
    assert clerk.post(f"/attraction/packages/{county.pk}/items/", {"item-kind": "project",
                                                                   "item-project": cast.p_lianshan.pk}).status_code == 403
    listing = clerk.get("/attraction/packages/", {"year": YEAR})
    assert [p.pk for p in listing.context["packages"]] == [county.pk]
    viewer = login(cast.viewer)
    assert viewer.get(f"/attraction/packages/{package.pk}/").context["item_form"] is None
    assert viewer.post(f"/attraction/packages/{package.pk}/items/{item.pk}/remove/", {}).status_code == 403
    assert login(cast.outsider).get(f"/attraction/packages/{package.pk}/").status_code == 404
    assert package.items.count() == 1 and not county.items.exists()


def test_the_package_item_list_is_paged_and_filtered_by_kind(cast, login, django_assert_max_num_queries):
    package = _package(cast)
    projects = [cast.project(f"连山区标准厂房{n}号", cast.lianshan, Decimal("1000")) for n in range(55)]
    for project in projects:
        services.add_item(cast.admin, package.pk, "project", project)
    services.add_item(cast.admin, package.pk, "enterprise", cast.company)
    admin = login(cast.admin)
    with django_assert_max_num_queries(30):
        first = admin.get("/attraction/packages/", {"year": YEAR})
    assert first.context["count"] == 56 and len(first.context["page"].object_list) == 50
    second = admin.get("/attraction/packages/", {"year": YEAR, "page": 2})
    assert len(second.context["page"].object_list) == 6
    seen = {i.pk for i in first.context["page"]} | {i.pk for i in second.context["page"]}
    assert seen == set(package.items.values_list("pk", flat=True))
    only = admin.get("/attraction/packages/", {"year": YEAR, "kind": "enterprise"})
    assert [i.target for i in only.context["page"]] == [cast.company]
    assert admin.get("/attraction/packages/", {"year": YEAR, "kind": "nonsense"}).status_code == 400
    mine = admin.get(f"/attraction/packages/{package.pk}/", {"kind": "project", "page": 2})
    assert mine.context["count"] == 55 and len(mine.context["page"].object_list) == 5
    assert admin.get(f"/attraction/packages/{package.pk}/", {"kind": "x"}).status_code == 400


def test_packages_are_in_the_menu_and_linked_from_the_leaders_page(cast, login):
    package = _package(cast)
    page = login(cast.leader_user).get("/leaders/me/", {"year": YEAR}).content.decode()
    assert f"/attraction/packages/{package.pk}/" in page
    assert "/attraction/packages/" in login(cast.lianshan_clerk).get("/attraction/").content.decode()
