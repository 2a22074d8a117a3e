"""No page and no API route lets a county clerk or a department clerk see a figure from outside
their scope.

Every URL pattern of the site and every API route is requested as the clerk, with the query
parameters the figure pages take (a year, a date, another region), before and after writes
that change only projects outside the clerk's scope: their amounts, plans, starts, approved
reports, new projects. Whatever the clerk gets must not change. A page that counted, summed,
listed or ranked anything outside the scope would show the writes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image
from python_calamine import CalamineWorkbook

from keyprojects.accounts import services as account_services
from keyprojects.accounts.models import Leader
from keyprojects.approvals import services as approval_services
from keyprojects.attraction import services as attraction_services
from keyprojects.briefings import services as briefing_services
from keyprojects.core.audit import Source, audit_context
from keyprojects.core.permissions import SYSTEM
from keyprojects.demo import assessment as assessment_demo
from keyprojects.dispatch import services as dispatch_services
from keyprojects.dispatch.models import ProblemAttachment
from keyprojects.exchange import services as exchange_services
from keyprojects.exchange import sheet as exchange_sheet
from keyprojects.funding import services as funding_services
from keyprojects.gallery import services as gallery_services
from keyprojects.notices import services as notice_services
from keyprojects.opendata import services as opendata_services
from keyprojects.projects import services as project_services
from keyprojects.reporting import services as reporting_services
from keyprojects.tasklists import services as task_services

pytestmark = pytest.mark.django_db

YEAR = 2022
MONDAY = timezone.localdate() - timedelta(days=timezone.localdate().weekday())  # this week's
QUERIES = ["", f"?year={YEAR}&as_of={YEAR}-12-31", f"?year={YEAR}&as_of={YEAR}-06-05&by=region,sector,leader,list"]


def patterns(resolvers=None, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, list[str]]]:
    """(route, name, its keyword arguments) of every URL pattern, the admin's aside."""
    for entry in get_resolver().url_patterns if resolvers is None else resolvers:
        if isinstance(entry, URLResolver):
            if str(entry.pattern).startswith("admin/"):
                continue
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            yield prefix + str(entry.pattern), name, list(entry.pattern.regex.groupindex)


class Setting:
    """The cast's projects with a plan year, an approved May report each, and the objects a
    URL's arguments name (all inside the clerk's scope)."""

    def __init__(self, cast, clerk) -> None:
        self.cast, self.clerk = cast, clerk
        admin = cast.admin
        self.period = reporting_services.create_period(admin, cast.city, YEAR, 5, date(YEAR, 5, 20), date(YEAR, 5, 25))
        self.reports = {}
        for filer, project in [(cast.lianshan_clerk, cast.p_lianshan), (cast.suizhong_clerk, cast.p_suizhong)]:
            report = reporting_services.save_draft(filer, project.pk, self.period.pk, {
                "completed_month": Decimal("1000"), "completed_ytd": Decimal("1000"),
                "completed_since_start": Decimal("1000"), "started": True, "started_on": date(YEAR, 4, 10),
                "progress": "主体施工"}, submit=True)
            self.reports[project.pk] = reporting_services.approve_report(admin, report.pk)
        # a second project in 连山区 that the department (工信局) is not responsible for
        with audit_context(Source.SYSTEM, detail="test"):
            self.p_lianshan_other = cast.project("连山区城市更新项目", cast.lianshan, Decimal("30000"))
        self.token, _key = account_services.create_token(clerk, clerk, "手机")
        # a message of the clerk's, read already (the walk opens it: that changes nothing), and a
        # channel of their unit, which only a city admin manages
        self.message = notice_services.notify(f"walk:{clerk.pk}", [clerk], "调度会通知", "请按时参会")[0]
        notice_services.read_message(clerk, self.message.pk)
        self.channel = notice_services.save_channel(admin, {
            "unit": clerk.unit, "name": "工作群", "kind": "wecom", "webhook_url": "http://127.0.0.1:9/robot"})
        # dispatch: a city meeting both clerks' units attend, with a decision and minutes; a problem of
        # 连山区's project assigned to the department, replied to with a file
        self.meeting = dispatch_services.save_meeting(admin, None, None, {
            "kind": "concentrated", "title": "重点项目集中调度会", "region": cast.city, "date": date(YEAR, 6, 1),
            "chair": cast.leader, "units": [cast.lianshan_fgj, cast.gxj], "projects": [cast.p_lianshan]},
            [(None, "加快供电接入")])
        self.meeting_file = dispatch_services.add_meeting_attachment(
            admin, self.meeting.pk, SimpleUploadedFile("纪要.pdf", b"%PDF-1.4 minutes"), "minutes")
        self.problem = dispatch_services.raise_problem(cast.lianshan_clerk, {
            "project": cast.p_lianshan, "source": "meeting", "category": "utilities", "title": "供电接入未完成",
            "lead_unit": cast.gxj, "deadline": date(YEAR, 6, 30)}, on=date(YEAR, 6, 1))
        dispatch_services.reply(cast.dept_clerk, self.problem.pk, None, "已接入", on=date(YEAR, 6, 20),
                                files=[SimpleUploadedFile("验收.pdf", b"%PDF-1.4 report")])
        self.problem_file = ProblemAttachment.objects.get(event__problem=self.problem)
        # a cadence rule of 连山区, due weekly from this week's Monday (the calendar's months are today's)
        self.rule = dispatch_services.save_cadence_rule(admin, None, {
            "name": "连山区项目调度会", "region": cast.lianshan, "chair": cast.leader, "kind": "concentrated",
            "every": 1, "interval": "weeks", "weekday": 1, "starts_on": MONDAY})
        # approvals: the city's catalogue, 连山区's project scheduled, one item obtained with its document
        catalogue = approval_services.install_catalogue(admin, cast.city)
        self.catalogue_item = catalogue[0]
        approval_services.schedule_project(admin, cast.p_lianshan.pk, date(YEAR, 7, 1))
        filing = cast.p_lianshan.approvals.get(item__code="filing")
        self.approval = approval_services.record(admin, filing.pk, filing.version, {
            "obtained_on": date(YEAR, 3, 1), "number": "连发改备〔2022〕1号",
            "document": SimpleUploadedFile("备案.pdf", b"%PDF-1.4 filing")})
        # the city's assessment with May published (the ranking ranks 连山区 against the others)
        self.scheme = assessment_demo.install(cast.city, YEAR, [f"{YEAR}-05"], actor=admin)
        self.group = self.scheme.groups.first()
        self.line = self.group.lines.first()
        # a published briefing of 连山区 (the city admin's: a county clerk reads it in the archive)
        draft = briefing_services.generate(admin, cast.lianshan, YEAR, date(YEAR, 6, 5))
        draft = briefing_services.approve(admin, draft.pk, draft.version)
        self.briefing = briefing_services.publish(admin, draft.pk, draft.version)
        # the city's task list: a task 工信局 leads and 连山区发展和改革局 helps with, with a milestone,
        # a target and an update by the department (both clerks see it)
        self.task_area = task_services.save_area(admin, cast.city, YEAR, {"number": 1, "name": "抓项目谋划储备"})
        self.task = task_services.save_task(admin, None, {
            "area": self.task_area, "number": 1, "title": "谋划强链补链项目", "lead_unit": cast.gxj,
            "co_units": [cast.lianshan_fgj], "deadline": date(YEAR, 6, 30)})
        task_services.save_milestone(admin, self.task.pk, {"title": "项目入库", "due": date(YEAR, 5, 31)})
        target = task_services.save_target(admin, self.task.pk, {"name": "谋划项目", "unit": "个", "target": 20})
        task_services.record_update(cast.dept_clerk, self.task.pk, {"on": date(YEAR, 5, 10), "text": "已谋划8个",
                                                                    "values": {target.pk: 8}}, today=date(YEAR, 6, 1))
        # the province's returned list of the city (the city admin's: the clerks reach none of it)
        profile = next(p for p in exchange_services.load_profiles(SYSTEM) if p.province_code == "210000")
        content = exchange_sheet.workbook(exchange_sheet.sheet(admin, profile, cast.city, YEAR, 5, date(YEAR, 6, 1)))
        self.province_return = exchange_services.upload_return(admin, profile, cast.city, YEAR, 5, "返回.xlsx",
                                                               content, today=date(YEAR, 6, 1))
        # a funding round of the city, 连山区's project proposed to it, approved and issued
        self.round = funding_services.save_round(admin, cast.city, {
            "kind": "special_bonds", "year": YEAR, "batch": "第一批", "deadline": date(YEAR, 3, 31),
            "min_start_rate_applied": Decimal("50"), "min_start_rate_issued": Decimal("50"), "start_within_months": 3})
        self.application = funding_services.propose(cast.lianshan_clerk, self.round.pk, cast.p_lianshan,
                                                    Decimal("1000"), today=date(YEAR, 3, 1))
        funding_services.record_result(admin, self.application.pk, {
            "approved": Decimal("800"), "approved_on": date(YEAR, 4, 1), "issued": Decimal("800"),
            "issued_on": date(YEAR, 5, 1)})
        # a photo of 连山区's project (the gallery's file and thumbnail)
        self.photo = gallery_services.add_file(admin, cast.p_lianshan.pk, photo())
        # a leader of 连山区 packaging its two projects (the leaders' pages)
        with audit_context(Source.SYSTEM, detail="test"):
            self.leader = Leader.objects.create(name="连山区区长", title="区长", region=cast.lianshan)
            self.leader.projects.add(cast.p_lianshan, self.p_lianshan_other)
        # 连山区's project published as open data (the OC4IDS package and the publications page)
        opendata_services.publish(admin, cast.p_lianshan.pk, on=date(YEAR, 6, 1))
        # 招商引资: an event of 连山区 the department attends, and a lead from it the department follows
        self.event = attraction_services.save_event(admin, None, {
            "region": cast.lianshan, "kind": "visit_out", "title": "赴深圳开展精细化工招商", "date": date(YEAR, 2, 1),
            "unit": cast.lianshan_fgj, "units": [cast.gxj], "leader": cast.leader})
        self.lead = attraction_services.save_lead(admin, None, {
            "region": cast.lianshan, "name": "连山区精细化工新材料项目", "investor": "深圳华晟化工有限公司",
            "origin": "province", "industry": "精细化工", "chain": "新材料", "amount": Decimal("20000"),
            "unit": cast.gxj, "event": self.event, "found_on": date(YEAR, 2, 2)})
        attraction_services.change_stage(admin, self.lead.pk, None, "intention", date(YEAR, 3, 1), amount="20000",
                                         today=date(YEAR, 6, 1))
        # a 连山区 leader's package holding the clerk's project (its page, its edit and item routes)
        county_leader = Leader.objects.create(name="连山区包抓领导", region=cast.lianshan)
        self.package = attraction_services.save_package(admin, None, {"year": YEAR, "leader": county_leader,
                                                                      "lead_unit": cast.lianshan_fgj})
        self.package_item = attraction_services.add_item(admin, self.package.pk, "project", cast.p_lianshan)

    def arguments(self, name: str, wanted: list[str]) -> dict[str, object] | None:
        """The arguments of a URL: objects inside the clerk's scope; None for a pattern left out."""
        if "format" in wanted:
            return None  # the same views as without the suffix
        project, report = self.cast.p_lianshan, self.reports[self.cast.p_lianshan.pk]
        kinds = {"kind": "units", "year": YEAR, "token": "0" * 32, "code": self.clerk.region.code}
        kinds.update(model="projects.Project", object_id=project.pk)  # the audit page's object history
        if name.startswith("assessment:"):
            kinds.update(pk=self.scheme.pk, group_pk=self.group.pk, line_pk=self.line.pk, period=f"{YEAR}-05")
        elif "pk" in wanted and name.startswith(("approvals:", "api:approval-")):
            route = name.split(":")[-1]
            kinds["pk"] = (project.pk if route.startswith("project") else self.catalogue_item.pk
                           if route.startswith("catalogue") else self.approval.pk)
        elif "pk" in wanted and name.startswith(("dispatch:", "api:problem-", "api:meeting-")):
            route = name.split(":")[-1]
            kinds["pk"] = (self.meeting_file.pk if route == "meeting_file" else self.rule.pk
                           if route.startswith("cadence_rule") else self.problem_file.pk
                           if route == "problem_file" else report.pk if route == "problem_from_report"
                           else self.meeting.pk if route.startswith("meeting") else self.problem.pk)
        elif "pk" in wanted and name.startswith(("attraction:", "api:attraction-")):
            kinds["pk"] = (self.event.pk if "event" in name else self.package.pk if "package" in name
                           else self.lead.pk)
            kinds["item"] = self.package_item.pk
        elif "pk" in wanted and name.startswith(("briefings:", "api:briefing-")):
            kinds["pk"] = self.briefing.pk
        elif "pk" in wanted and name.startswith("api:assessment-period-"):
            kinds["pk"] = self.scheme.snapshots.get(period=f"{YEAR}-05").pk
        elif "pk" in wanted and name.startswith("api:task-"):
            kinds["pk"] = self.task_area.pk if name.startswith("api:task-area-") else self.task.pk
        elif "pk" in wanted and name.startswith(("funding:", "api:funding-")):
            kinds["pk"] = self.application.pk if "application" in name else self.round.pk
        elif "pk" in wanted and name.startswith("gallery:") and name != "gallery:upload":
            kinds["pk"] = self.photo.pk
        elif "pk" in wanted:
            route = name.split(":")[-1]
            pk = (self.period.pk if "period" in route or route in ("fill", "review", "review_approve")
                  else report.pk if route.startswith("report") or name.startswith("reporting:")
                  else self.token.pk if "token" in route
                  else self.clerk.unit.pk if route.startswith("unit") or name.startswith("accounts:")
                  else self.message.pk if name == "notices:message"
                  else self.channel.pk if name.startswith("notices:channel")
                  else self.leader.pk if name.startswith("leaders:")
                  else self.task.pk if name.startswith("tasklists:")
                  else self.province_return.pk if name.startswith("exchange:")
                  else project.pk)
            kinds["pk"] = pk
        return {key: kinds[key] for key in wanted}

    def outside_writes(self) -> None:
        """Writes that touch nothing the clerk may see."""
        cast, admin = self.cast, self.cast.admin
        p = cast.p_suizhong
        project_services.update_project(admin, p.pk, p.version, {"total_investment": Decimal("987654")})
        project_services.save_annual_plan(admin, p.pk, YEAR, {
            "planned_investment": Decimal("123456"), "started": False, "started_on": None})
        j = cast.p_jinzhou
        project_services.update_project(cast.superuser, j.pk, j.version, {"total_investment": Decimal("555555")})
        with audit_context(Source.SYSTEM, detail="test"):
            cast.project("绥中县滨海新区项目", cast.suizhong, Decimal("777777"))
            cast.leader.projects.add(cast.p_suizhong)
            self.leader.projects.add(cast.p_suizhong)  # a project outside the leader's county
        report = self.reports[p.pk]
        reporting_services.correct_report(admin, report.pk, {
            "completed_month": Decimal("4321"), "completed_ytd": Decimal("4321"),
            "completed_since_start": Decimal("4321")}, "更正", report.version)
        # dispatch: 绥中县's problem and meeting, worked through
        suizhong = cast.suizhong_clerk
        problem = dispatch_services.raise_problem(suizhong, {
            "project": p, "source": "report", "category": "land", "title": "用地指标不足",
            "lead_unit": cast.suizhong_fgj, "deadline": date(YEAR, 7, 30)}, on=date(YEAR, 6, 1))
        dispatch_services.reply(suizhong, problem.pk, None, "已解决", on=date(YEAR, 6, 2))
        dispatch_services.sign_off(suizhong, problem.pk, None, on=date(YEAR, 6, 3))
        dispatch_services.raise_problem(suizhong, {"region": cast.suizhong, "source": "public", "category": "other",
                                                   "title": "群众反映施工噪声"}, on=date(YEAR, 6, 1))
        dispatch_services.save_meeting(suizhong, None, None, {
            "kind": "on_site", "title": "绥中风电现场调度", "region": cast.suizhong, "date": date(YEAR, 6, 5),
            "units": [cast.suizhong_fgj], "projects": [p]}, [(None, "加快环评")])
        # the cadence rules of 绥中县 and of the city, and a meeting held for each
        for where, name in ((cast.suizhong, "绥中县项目调度会"), (cast.city, "常务副市长调度会")):
            rule = dispatch_services.save_cadence_rule(admin, None, {
                "name": name, "region": where, "chair": cast.leader, "kind": "concentrated", "every": 1,
                "interval": "weeks", "weekday": 1, "starts_on": MONDAY - timedelta(days=28)})
            dispatch_services.save_meeting(admin, None, None, {
                "kind": "concentrated", "title": name, "region": where, "date": MONDAY, "cadence_rule": rule})
        # the task list: a task of 绥中县 and one of the commission it helps with, worked through
        for lead, co in ((cast.suizhong_fgj, []), (cast.fgw, [cast.suizhong_fgj])):
            task = task_services.save_task(admin, None, {
                "area": self.task_area, "number": 2 + len(co), "title": f"{lead.name}的任务", "lead_unit": lead,
                "co_units": co, "deadline": date(YEAR, 3, 31)})
            if co:  # (the other one is left overdue, and chased)
                task_services.record_update(admin, task.pk, {"on": date(YEAR, 3, 20), "text": "完成", "done": True},
                                            today=date(YEAR, 6, 1))
        assert task_services.chase_overdue(date(YEAR, 4, 1))["messages"] == 1
        task_services.save_area(admin, cast.city, YEAR, {"number": 2, "name": "抓招商引资"})
        # the map and the gallery: 绥中县's project placed on the map, a photo of it uploaded
        project_services.set_location(admin, p.pk, None, Decimal("120.0"), Decimal("40.3"))
        gallery_services.add_file(cast.suizhong_clerk, p.pk, photo())
        approval_services.schedule_project(admin, p.pk, date(YEAR, 8, 1))
        permit = p.approvals.get(item__code="filing")
        approval_services.record(admin, permit.pk, permit.version, {"obtained_on": date(YEAR, 5, 1)})
        opendata_services.publish(admin, p.pk, on=date(YEAR, 6, 3))  # 绥中县's project as open data
        # 招商引资 of 绥中县 worked through to landing, with its funds; a city package of another unit
        lead = attraction_services.save_lead(admin, None, {
            "region": cast.suizhong, "name": "绥中县风电装备制造项目", "investor": "金风科技股份有限公司",
            "origin": "province", "industry": "装备制造", "chain": "新材料", "amount": Decimal("90000"),
            "unit": cast.suizhong_fgj, "found_on": date(YEAR, 1, 5)})
        attraction_services.change_stage(admin, lead.pk, None, "signed", date(YEAR, 3, 1), amount="90000",
                                         today=date(YEAR, 6, 1))
        attraction_services.land(admin, lead.pk, None, {"on": date(YEAR, 4, 1), "registered_on": date(YEAR, 4, 1),
                                                        "started_on": date(YEAR, 4, 2)}, today=date(YEAR, 6, 1))
        attraction_services.report_funds(admin, lead.pk, YEAR, 5, "5000", "5000", today=date(YEAR, 6, 1))
        attraction_services.save_event(admin, None, {
            "region": cast.suizhong, "kind": "visit_in", "title": "金风科技来绥中考察", "date": date(YEAR, 3, 3),
            "unit": cast.suizhong_fgj, "leader": cast.leader})
        package = attraction_services.save_package(admin, None, {"year": YEAR, "leader": cast.leader,
                                                                 "lead_unit": cast.fgw})
        attraction_services.add_item(admin, package.pk, "lead", lead)
        # 绥中县's project proposed to the city's round, approved, issued and spent
        bid = funding_services.propose(suizhong, self.round.pk, p, Decimal("5000"), today=date(YEAR, 3, 2))
        funding_services.record_result(admin, bid.pk, {
            "approved": Decimal("4000"), "approved_on": date(YEAR, 4, 1), "issued": Decimal("4000"),
            "issued_on": date(YEAR, 4, 20), "spent": Decimal("100"), "spent_on": date(YEAR, 6, 1)})
        if self.clerk.role == "department_clerk":  # 连山区, but not the department's project
            other = self.p_lianshan_other
            funding_services.propose(cast.lianshan_clerk, self.round.pk, other, Decimal("10"), today=date(YEAR, 3, 3))
            approval_services.schedule_project(admin, other.pk, date(YEAR, 9, 1))
            dispatch_services.raise_problem(cast.lianshan_clerk, {
                "project": other, "source": "meeting", "category": "funding", "title": "资金未到位",
                "lead_unit": cast.lianshan_fgj, "deadline": date(YEAR, 7, 30)}, on=date(YEAR, 6, 1))
            project_services.update_project(admin, other.pk, other.version, {"total_investment": Decimal("444444")})
            mine = attraction_services.save_lead(admin, None, {  # 连山区's, followed by another unit
                "region": cast.lianshan, "name": "连山区文旅综合体项目", "investor": "华侨城文旅有限公司",
                "origin": "province", "industry": "文旅", "amount": Decimal("30000"), "unit": cast.lianshan_fgj,
                "found_on": date(YEAR, 2, 1)})
            attraction_services.change_stage(admin, mine.pk, None, "framework", date(YEAR, 3, 1), amount="30000",
                                             today=date(YEAR, 6, 1))
            project_services.save_annual_plan(admin, other.pk, YEAR, {
                "planned_investment": Decimal("1111"), "started": True, "started_on": date(YEAR, 3, 1)})
            opendata_services.publish(admin, other.pk, on=date(YEAR, 6, 2))


def photo() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 140, 200)).save(out, "PNG")
    return SimpleUploadedFile("现场.png", out.getvalue())


CSRF = re.compile(r'(csrfmiddlewaretoken" value="|csrf-token" content="|X-CSRFToken": ")[^"]+')


def seen(response) -> object:
    """What the clerk gets: the status and the content, less what differs at every request."""
    kind = response.get("Content-Type", "")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in kind:
        book = CalamineWorkbook.from_filelike(io.BytesIO(content))
        body: object = {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}
    elif "json" in kind:
        body = json.loads(content)
    else:
        body = CSRF.sub(r"\1…", content.decode(errors="replace"))
    return response.status_code, body


def everything(client, setting: Setting) -> dict[str, object]:
    results = {}
    other = setting.cast.suizhong if setting.clerk.region == setting.cast.lianshan else setting.cast.jinzhou
    queries = [*QUERIES, f"?year={YEAR}&region={other.pk}", f"?year={YEAR}&region={setting.cast.city.code}"]
    for route, name, wanted in patterns():
        arguments = setting.arguments(name, wanted)
        if arguments is None or name in ("logout", "set_language", "api:schema", "api:docs"):
            continue
        url = reverse(name, kwargs=arguments)
        for query in queries if not arguments else [""]:  # (an object's page takes no figure parameters)
            results[f"{route} {url}{query}"] = seen(client.get(url + query))
    return results


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"  # the dispatch files of the setting
    settings.KEYPROJECTS_CHANGES_SETTLE_SECONDS = 0  # else the pull's horizon passes the setting's own rows mid-walk


@pytest.mark.parametrize("who", ["lianshan_clerk", "dept_clerk"])
def test_no_page_or_api_route_shows_a_clerk_anything_from_outside_their_scope(cast, client, who):
    clerk = getattr(cast, who)
    setting = Setting(cast, clerk)
    client.force_login(clerk)
    before = everything(client, setting)
    assert len(before) > 100 and any(status == 200 for status, _body in before.values())
    assert sum("?" in key and status == 200 for key, (status, _body) in before.items()) > 30
    setting.outside_writes()
    after = everything(client, setting)
    changed = [url for url in before if before[url] != after[url]]
    assert changed == [], f"{who} sees writes outside their scope on: {changed}"


def test_the_walk_sees_a_write_inside_the_scope(cast, client):
    """The walk's own check: a write inside the clerk's scope does change what they get."""
    setting = Setting(cast, cast.lianshan_clerk)
    client.force_login(cast.lianshan_clerk)
    before = everything(client, setting)
    p = cast.p_lianshan
    project_services.update_project(cast.admin, p.pk, p.version, {"total_investment": Decimal("987654")})
    dispatch_services.raise_problem(cast.suizhong_clerk, {  # 绥中's problem, assigned to 连山区发改局
        "project": cast.p_suizhong, "source": "meeting", "category": "land", "title": "跨县区用地协调",
        "lead_unit": cast.lianshan_fgj, "deadline": date(YEAR, 7, 30)}, on=date(YEAR, 6, 1))
    dispatch_services.save_meeting(cast.lianshan_clerk, None, None, {  # held for 连山区's rule
        "kind": "concentrated", "title": "连山区项目调度会", "region": cast.lianshan, "date": MONDAY,
        "cadence_rule": setting.rule})
    task_services.record_update(cast.dept_clerk, setting.task.pk, {"on": date(YEAR, 5, 20), "text": "完成",
                                                                   "done": True}, today=date(YEAR, 6, 1))
    eia = p.approvals.get(item__code="eia")
    approval_services.record(cast.admin, eia.pk, eia.version, {"obtained_on": date(YEAR, 5, 1)})
    project_services.set_location(cast.admin, p.pk, None, Decimal("120.6"), Decimal("40.9"))
    attraction_services.change_stage(cast.admin, setting.lead.pk, None, "framework", date(YEAR, 4, 1),
                                     amount="20000", today=date(YEAR, 6, 1))
    funding_services.record_result(cast.admin, setting.application.pk, {"spent": Decimal("300"),
                                                                        "spent_on": date(YEAR, 6, 1)})
    after = everything(client, setting)
    changed = {url.split(" ")[0] for url in before if before[url] != after[url]}
    assert {"dashboard/", "projects/", "projects/export.xlsx", "api/indicators/", "api/^projects/$",
            "dispatch/problems/", "dispatch/todo/", "api/^problems/$", "dispatch/calendar/", "approvals/",
            "api/^approvals/$", "api/projects/<int:pk>/approvals/", "tasks/", "tasks/summary/",
            "tasks/<int:pk>/", "map/", "map/points.json", "attraction/", "attraction/summary/",
            "attraction/<int:pk>/", "api/^attraction/leads/$",
            "funding/", "funding/applications/", "funding/applications/<int:pk>/", "api/^funding/applications/$",
            "api/^tasks/$", "api/^tasks/(?P<pk>[^/.]+)/$"} <= changed
