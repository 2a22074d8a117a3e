"""Huludao (葫芦岛市), 2022: the plan the city published in June 2022, reproduced exactly.

500 key projects of 500 万元 and more (232 continuing, 268 new), 2619.8 亿元 in total,
325.1 亿元 planned for 2022. As of 2022-06-05: 329 started or resumed (1611.89 / 201.38 亿元),
of which 117 new starts (140.16 / 50.80) and 212 resumed continuing (1471.73 / 150.58).
73 projects are packaged by city leaders. Everything else (names, owners, dates, the split of
the not-yet-started remainder) is invented but plausible, and the same on every run.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Leader, Unit, User, department_kind
from keyprojects.dispatch.models import MeetingKind
from keyprojects.projects.models import (
    AnnualPlan,
    Batch,
    FundingSource,
    Nature,
    Project,
    ProjectList,
    Sector,
    Stage,
    StageTransition,
)
from keyprojects.regions.models import Region
from keyprojects.regions.services import add_zone
from keyprojects.reporting.models import ReportingPeriod

from . import approvals
from .common import (
    cumulative_path,
    day_between,
    demo_user,
    on_its_day,
    place,
    split_capped,
    split_exact,
    unit,
    write_reports,
)
from .dispatch import Cast, DispatchDemo, Ledger, MeetingPlan, answering_units, weekdays_between

YEAR = 2022
AS_OF = date(2022, 6, 5)
SEED = 20220610

# (count, total investment, annual plan) in 万元, from the article; the two "rest" groups split
# the remainder (151 new not started, 20 continuing not resumed) — our choice.
NEW_STARTED = (117, 1_401_600, 508_000)
CONTINUING_RESUMED = (212, 14_717_300, 1_505_800)
NEW_WAITING = (151, 8_900_000, 1_100_000)
CONTINUING_WAITING = (20, 1_179_100, 137_200)
PACKAGED = 73
RESERVE = 40

COUNTIES = {  # name: (weight, places)
    "连山区": (16, ["钢屯镇", "寺儿堡镇", "塔山乡", "杨郊乡", "锦郊街道"]),
    "龙港区": (18, ["北港工业区", "连湾街道", "双树乡", "龙湾街道"]),
    "南票区": (10, ["暖池塘镇", "缸窑岭镇", "虹螺岘镇", "沙锅屯乡"]),
    "绥中县": (22, ["四方台", "下骆驼", "西沟", "前所镇", "万家镇", "东戴河"]),
    "建昌县": (12, ["八家子镇", "喇嘛洞镇", "药王庙镇", "天香源"]),
    "兴城市": (22, ["徐大堡镇", "曹庄镇", "海滨乡", "觉华岛", "临海产业区"]),
}
ZONES = [("龙港区", "葫芦岛经济开发区"), ("龙港区", "北港工业区管理委员会辖区"), ("绥中县", "绥中滨海经济区")]

DEPARTMENTS = [
    "葫芦岛市发展和改革委员会", "葫芦岛市项目发展服务中心", "葫芦岛市工业和信息化局", "葫芦岛市自然资源局",
    "葫芦岛市住房和城乡建设局", "葫芦岛市交通运输局", "葫芦岛市生态环境局", "葫芦岛市水利局",
    "葫芦岛市农业农村局", "葫芦岛市商务局", "葫芦岛市文化旅游和广播电视局", "葫芦岛市卫生健康委员会",
    "葫芦岛市教育局", "葫芦岛市能源局", "葫芦岛市营商环境建设局",
]
# The units answering problems besides the departments above (with their clerks' logins), who
# leads on what (a county's own 发展和改革局 on its projects' demolition and site problems), the ledger at AS_OF.
DISPATCH_UNITS = {
    "葫芦岛市自然资源局": "hld_zrj", "葫芦岛市住房和城乡建设局": "hld_zjj", "葫芦岛市营商环境建设局": "hld_yshj",
    "葫芦岛市财政局": "hld_czj", "国网葫芦岛供电公司": "hld_gdj", "葫芦岛市交通运输局": "hld_jtj",
    "葫芦岛市生态环境局": "hld_hbj", "葫芦岛市能源局": "hld_nyj", "葫芦岛市工业和信息化局": "hld_gxj",
}
DISPATCH_LEADS = {
    "land": ["葫芦岛市自然资源局"], "approval": ["葫芦岛市营商环境建设局", "葫芦岛市住房和城乡建设局"],
    "demolition": ["葫芦岛市自然资源局"], "funding": ["葫芦岛市财政局"],
    "utilities": ["国网葫芦岛供电公司", "葫芦岛市交通运输局"], "environment": ["葫芦岛市生态环境局"],
    "energy": ["葫芦岛市能源局"], "construction": ["葫芦岛市住房和城乡建设局"], "other": ["葫芦岛市工业和信息化局"],
}
DISPATCH_CO_UNITS = ["葫芦岛市项目发展服务中心", "葫芦岛市自然资源局", "葫芦岛市住房和城乡建设局", "葫芦岛市水利局",
                     "葫芦岛市营商环境建设局"]
DISPATCH_LEDGER = Ledger(closed=18, overdue=2, in_progress=3, replied=2, new=1)
LEADERS = [  # fictional names, real titles
    ("李振华", "市委书记"), ("王建国", "市长"), ("赵立新", "常务副市长"), ("孙志强", "副市长"),
    ("周海涛", "副市长"), ("吴晓光", "副市长"), ("郑红梅", "副市长"), ("冯德胜", "副市长"),
    ("陈宏伟", "市委常委、秘书长"), ("褚建民", "市人大常委会副主任"), ("卫国庆", "市政协副主席"),
    ("蒋立军", "市长助理"),
]

# sector: (project type, investment nature, department, company kinds, [(template, n choices)], products)
SECTORS: dict[str, tuple[str, str, str, list[str], list[tuple[str, list[float]]], list[str]]] = {
    "精细化工": ("industry", "enterprise", "葫芦岛市工业和信息化局", ["化工", "化学", "精细化工"], [
        ("{co}年产{n}万吨{p}项目", [0.5, 1, 2, 3, 5]), ("{co}{p}扩能改造项目", [0])],
        ["苯二胺", "农药中间体", "医药中间体", "表面活性剂", "催化剂", "染料中间体", "精细化学品"]),
    "装备制造": ("industry", "enterprise", "葫芦岛市工业和信息化局", ["装备", "机械", "重工"], [
        ("{co}{p}生产线建设项目", [0]), ("{co}{p}智能制造项目", [0])],
        ["船舶配套", "石油钻采装备", "泵阀", "汽车零部件", "风电装备", "智能输送装备"]),
    "新能源": ("industry", "enterprise", "葫芦岛市能源局", ["新能源", "风电", "光伏"], [
        ("{place}{n}万千瓦风电项目", [5, 10, 15, 20, 30]), ("{place}{n}兆瓦光伏发电项目", [20, 50, 100, 200]),
        ("{place}{n}兆瓦储能电站项目", [50, 100, 200])], [""]),
    "新材料": ("industry", "enterprise", "葫芦岛市工业和信息化局", ["新材料", "材料科技"], [
        ("{co}年产{n}吨{p}项目", [500, 1000, 3000, 5000, 10000])],
        ["钼新材料", "锆系新材料", "高纯石英砂", "碳纤维复合材料", "锌合金", "特种玻璃"]),
    "生态环保": ("ecology", "government", "葫芦岛市生态环境局", ["环保"], [
        ("{place}污水处理厂提标改造工程", [0]), ("{place}河道综合治理工程", [0]),
        ("{place}矿山生态修复项目", [0]), ("{place}垃圾分类处理项目", [0])], [""]),
    "基础设施": ("infrastructure", "government", "葫芦岛市交通运输局", ["建设"], [
        ("{place}至{place2}公路改扩建工程", [0]), ("{place}供热管网改造工程", [0]),
        ("{place}供水管网更新改造工程", [0]), ("{place}燃气管道建设项目", [0])], [""]),
    "现代农业": ("industry", "enterprise", "葫芦岛市农业农村局", ["农业", "农业科技", "果蔬"], [
        ("{place}高标准农田建设项目", [0]), ("{co}设施农业产业园项目", [0]), ("{co}农产品冷链物流中心项目", [0])], [""]),
    "文化旅游": ("social", "enterprise", "葫芦岛市文化旅游和广播电视局", ["文旅", "旅游开发"], [
        ("{place}滨海旅游度假区项目", [0]), ("{place}文化旅游综合体项目", [0]), ("{co}温泉康养小镇项目", [0])], [""]),
    "社会民生": ("social", "government", "葫芦岛市住房和城乡建设局", ["建设"], [
        ("{place}老旧小区改造工程", [0]), ("{place}中学新建工程", [0]), ("{place}医院门诊楼建设项目", [0]),
        ("{place}养老服务中心建设项目", [0])], [""]),
    "城市建设": ("urban", "enterprise", "葫芦岛市住房和城乡建设局", ["置业", "房地产开发"], [
        ("{place}棚户区改造项目", [0]), ("{co}商业综合体项目", [0]), ("{place}城市更新项目", [0])], [""]),
    "现代服务业": ("industry", "enterprise", "葫芦岛市商务局", ["物流", "商贸"], [
        ("{co}现代物流园项目", [0]), ("{co}电子商务产业园项目", [0])], [""]),
}
CO_WORDS = ["连石", "先达", "锦华", "渤海", "辽西", "海辰", "龙港", "兴海", "宏远", "华晨", "东昊", "盛达",
            "永泰", "金港", "天利", "恒信", "北方", "中科", "华锦", "瑞丰", "鑫源", "泰和", "富利", "康宁"]

# Projects the seed article names: (name, county, sector, group, total, annual, prior).
NAMED = [
    ("徐大堡核电3、4号机组工程", "兴城市", "新能源", "continuing", 4_500_000, 420_000, 1_350_000),
    ("葫芦岛连石化工有限责任公司年产3.5万吨苯二胺项目", "连山区", "精细化工", "continuing", 86_000, 21_000, 60_000),
    ("辽宁先达农化三期工程", "连山区", "精细化工", "continuing", 120_000, 30_000, 48_000),
    ("葫芦岛东部垃圾焚烧发电综合处理厂工程", "龙港区", "生态环保", "continuing", 62_000, 15_000, 30_000),
    ("绥中四方台风电项目", "绥中县", "新能源", "continuing", 41_000, 18_000, 20_000),
    ("绥中下骆驼风电项目", "绥中县", "新能源", "continuing", 39_000, 17_000, 19_000),
    ("绥中西沟风电项目", "绥中县", "新能源", "continuing", 40_000, 17_500, 19_500),
    ("建昌天香源高新农业产业园区建设项目", "建昌县", "现代农业", "new_started", 35_000, 12_000, 0),
    ("葫芦岛南票光伏新能源项目", "南票区", "新能源", "continuing", 58_000, 20_000, 25_000),
    ("葫芦岛碧桂园星澜时代项目", "龙港区", "城市建设", "continuing", 150_000, 30_000, 70_000),
]


@dataclass
class Draft:
    """A project before it is written: the group decides its plan and start record."""

    group: str
    name: str
    county: str
    sector: str
    total: int
    annual: int = 0
    prior: int = 0
    started_on: date | None = None
    nature: str = Nature.NEW
    leaders: list[Leader] = field(default_factory=list)


class HuludaoDemo:
    def __init__(self, stdout=None) -> None:
        self.rng = random.Random(SEED)
        self.stdout = stdout
        self.used_names: set[str] = set()
        self.code_seq = 0

    # --- the frame: regions, units, leaders, users -------------------------------
    def load(self) -> dict:
        self.city = Region.objects.find("葫芦岛市")
        self.counties = {name: Region.objects.find(name, within=self.city) for name in COUNTIES}
        self.zones = {}
        for county, name in ZONES:
            parent = self.counties[county]
            self.zones[name] = Region.objects.filter(parent=parent, name=name).first() or add_zone(None, parent, name)
        self.departments = {name: unit(name, self.city, Unit.Kind.DEPARTMENT) for name in DEPARTMENTS}
        self.city_gov = unit("葫芦岛市人民政府", self.city, Unit.Kind.GOVERNMENT)
        self.county_gov = {n: unit(f"{n}人民政府", r, Unit.Kind.GOVERNMENT) for n, r in self.counties.items()}
        self.county_fgj = {n: unit(f"{n}发展和改革局", r, department_kind(r)) for n, r in self.counties.items()}
        self.leaders = []
        for order, (name, title) in enumerate(LEADERS):
            leader = Leader.objects.filter(region=self.city, name=name).first() or Leader(region=self.city, name=name)
            leader.title, leader.order = title, order
            leader.full_clean()
            leader.save()
            self.leaders.append(leader)
        self.sectors = {name: Sector.objects.get_or_create(name=name, defaults={"order": i})[0]
                        for i, name in enumerate(SECTORS)}
        self.lists = {key: ProjectList.objects.get_or_create(name=name, year=YEAR)[0] for key, name in [
            ("provincial", "省重点项目"), ("bond", "专项债券项目"), ("ceremony", "集中开工项目")]}
        drafts = self.drafts()
        projects = [self.write(d) for d in drafts]
        self.write_reserve()
        users = self.users(projects)
        reports = self.reports(drafts, projects, {u.username: u for u in users})
        dispatched = self.dispatch({u.username: u for u in users}["admin"], projects)
        approvals.for_plan(self.city, YEAR, AS_OF, random.Random(SEED + 19), list(self.county_fgj.values()))
        return {"projects": len(projects), "users": users, "reports": reports, **dispatched}

    # --- dispatch March – early June 2022 ------------------------------------------
    def dispatch(self, admin: User, projects: list[Project]) -> dict[str, int]:
        """A few months of meetings (concentrated, single-project, on-site and one by video in
        April's lockdown) and the problems they assigned, the counties answering their own."""
        rng = random.Random(SEED + 1)
        units = answering_units(self.city, DISPATCH_UNITS)
        everyone = {**self.departments, **units}
        leads = {category: [everyone[name] for name in names] for category, names in DISPATCH_LEADS.items()}
        secretary, mayor, executive, *deputies = self.leaders[:8]
        building = [p for p in projects if p.stage == Stage.CONSTRUCTION]
        cast = Cast(city=self.city, as_of=AS_OF, dispatcher=admin, leaders=self.leaders[:8],
                    projects=list(dict.fromkeys(projects[:10] + building[:120])), leads=leads,
                    co_units=[self.departments[name] for name in DISPATCH_CO_UNITS],
                    places=["市政府第一会议室", "市政府常务会议室", "市发改委四楼会议室"],
                    county_units={self.counties[name].pk: fgj for name, fgj in self.county_fgj.items()})
        plans = [MeetingPlan(MeetingKind.CONCENTRATED, day, chair, f"全市重点项目集中调度会（{day.month}月）",
                             problems=problems)
                 for day, chair, problems in [(date(2022, 3, 15), mayor, 3), (date(2022, 5, 17), secretary, 3)]]
        plans.append(MeetingPlan(MeetingKind.CLOUD, date(2022, 4, 14), mayor, "全市重点项目视频调度会",
                                 place="市政府视频会议室（各县区设分会场）", problems=2))
        plans += [MeetingPlan(MeetingKind.SINGLE_PROJECT, day, rng.choice([executive, *deputies]),
                              "{project}专题调度会", problems=rng.randint(1, 2))
                  for day in weekdays_between(rng, date(2022, 3, 7), date(2022, 6, 3), 4)]
        plans += [MeetingPlan(MeetingKind.ON_SITE, day, rng.choice([mayor, executive, *deputies]), "{project}现场调度会",
                              problems=int(rng.random() < 0.7))
                  for day in weekdays_between(rng, date(2022, 3, 21), date(2022, 6, 3), 6)]
        plans.sort(key=lambda plan: plan.day)
        return DispatchDemo(cast, rng).write(plans, DISPATCH_LEDGER)

    # --- monthly reports January–May 2022 ----------------------------------------
    def reports(self, drafts: list[Draft], projects: list[Project], users: dict[str, User]) -> int:
        periods = {}
        for month in range(1, 6):
            period = ReportingPeriod(region=self.city, year=YEAR, month=month, opens_on=date(YEAR, month, 20),
                                     closes_on=date(YEAR, month, 25),
                                     state=ReportingPeriod.State.LOCKED if month < 5 else ReportingPeriod.State.CLOSED)
            period.save()
            periods[month] = period
        plans = {p.project_id: p for p in AnnualPlan.objects.filter(project__in=projects, year=YEAR)}
        clerks = {u.unit.region_id: u for u in users.values() if u.role == User.Role.COUNTY_CLERK and u.unit}
        entries = []
        for d, project in zip(drafts, projects, strict=True):
            plan = plans[project.pk]
            started = d.started_on if d.started_on and d.started_on <= date(YEAR, 5, 31) else None
            final = int(d.annual * self.rng.uniform(0.25, 0.5)) if started else 0
            path = cumulative_path(final, started.month if started else 5, 5)
            entries.append((project, plan, path, started))

        def approved_at(month: int):
            day = date(YEAR, month + 1, 2 if month == 5 else 8)
            return timezone.make_aware(datetime.combine(day, time(10, 0)))

        def filer_of(project: Project) -> User | None:
            county = project.region if project.region.level == Region.Level.COUNTY else project.region.parent
            return clerks.get(county.pk) if county else None

        return write_reports(entries, periods, approved_at, filer_of, users["admin"])

    # --- the 500 projects ----------------------------------------------------------
    def drafts(self) -> list[Draft]:
        named = [Draft(group, name, county, sector, total, annual, prior)
                 for name, county, sector, group, total, annual, prior in NAMED]
        for d in named:
            self.used_names.add(d.name)
        groups = {
            "new_started": (NEW_STARTED, 0.36, (date(2022, 3, 1), AS_OF)),
            "continuing": (CONTINUING_RESUMED, 0.12, (date(2022, 2, 10), date(2022, 4, 30))),
            "new_waiting": (NEW_WAITING, 0.14, None),
            "continuing_waiting": (CONTINUING_WAITING, 0.14, None),
        }
        drafts: list[Draft] = []
        for group, ((count, total, annual), ratio, window) in groups.items():
            fixed = [d for d in named if d.group == group]
            totals = split_exact(total, count, self.rng, minimum=600, sigma=1.1,
                                 fixed=[d.total for d in fixed])
            members = fixed + [self.invent(group, t) for t in totals[len(fixed):]]
            continuing = group.startswith("continuing")
            for d in members[len(fixed):]:
                # Continuing projects finished part of their investment in earlier years.
                d.prior = int(d.total * self.rng.uniform(0.2, 0.6)) if continuing else 0
            fixed_annual = sum(d.annual for d in fixed)
            free = members[len(fixed):]
            caps = [d.total - d.prior for d in free]
            shares = [d.total * ratio * self.rng.uniform(0.5, 1.5) for d in free]
            for d, amount in zip(free, split_capped(annual - fixed_annual, caps, shares), strict=True):
                d.annual = amount
            for d in members:
                d.nature = Nature.CONTINUING if continuing else Nature.NEW
                d.group = group
                if window:
                    d.started_on = day_between(self.rng, *window)
                elif group == "new_waiting" and self.rng.random() < 0.6:
                    d.started_on = day_between(self.rng, date(2022, 6, 6), date(2022, 10, 31))
            drafts += members
        # ~40 continuing projects are due to complete in 2022 (竣工).
        for d in self.rng.sample([d for d in drafts if d.nature == Nature.CONTINUING], 40):
            d.nature = Nature.COMPLETING
        # 73 projects packaged by city leaders: the largest 40, then 33 others.
        by_size = sorted(drafts, key=lambda d: -d.total)
        packaged = by_size[:40] + self.rng.sample(by_size[40:], PACKAGED - 40)
        for d in packaged:
            d.leaders = self.rng.sample(self.leaders[:8], self.rng.choice([1, 1, 1, 2]))
        # the demo leader (王建国, 市长) packages a handful for "my packages"
        for d in packaged[:6]:
            if self.leaders[1] not in d.leaders:
                d.leaders.append(self.leaders[1])
        return drafts

    def invent(self, group: str, total: int) -> Draft:
        weights = [w for w, _ in COUNTIES.values()]
        county = self.rng.choices(list(COUNTIES), weights)[0]
        sector = self.rng.choice(list(SECTORS))
        return Draft(group, self.name_for(county, sector, total), county, sector, total)

    def name_for(self, county: str, sector: str, total: int) -> str:
        _type, _nature, _dept, kinds, templates, products = SECTORS[sector]
        places = COUNTIES[county][1]
        # Bigger projects get the bigger capacities.
        rank = min(0.999, total / 200_000)
        for attempt in range(50):
            template, sizes = self.rng.choice(templates)
            place, place2 = self.rng.sample(places, 2)
            name = template.format(
                co=self.company_name(kinds), n=f"{sizes[int(rank * len(sizes))]:g}",
                p=self.rng.choice(products), place=place, place2=place2,
            )
            if not name.startswith(county[:2]):
                name = f"{county}{name}" if "{place}" in template else name
            if attempt > 10:
                name += f"（{'一二三四五六'[attempt % 6]}期）"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("could not invent a unique project name")

    def company_name(self, kinds: list[str]) -> str:
        return f"葫芦岛{self.rng.choice(CO_WORDS)}{self.rng.choice(kinds)}有限公司"

    def project_code(self, county: Region, registered: int) -> str:
        self.code_seq += 1
        industry = self.rng.choice(["26", "34", "44", "48", "50", "78", "01"])
        return f"{registered}-{county.code}-{industry}-{self.rng.choice(['01', '02', '03'])}-{300000 + self.code_seq:06d}"

    def write(self, d: Draft) -> Project:
        rng = self.rng
        county = self.counties[d.county]
        region = county
        if d.county == "龙港区" and rng.random() < 0.35:
            region = self.zones["葫芦岛经济开发区"]
        elif d.county == "绥中县" and rng.random() < 0.25:
            region = self.zones["绥中滨海经济区"]
        ptype, nature, dept, kinds, _templates, _products = SECTORS[d.sector]
        continuing = d.nature != Nature.NEW
        registered = rng.choice([2018, 2019, 2020, 2021]) if continuing else rng.choice([2021, 2022])
        level = (Project.Level.PROVINCIAL_MAJOR if d.total >= 500_000 else
                 Project.Level.PROVINCIAL if d.total >= 150_000 else
                 Project.Level.CITY if d.total >= 20_000 or rng.random() < 0.4 else Project.Level.COUNTY)
        if nature == "enterprise":
            owner = unit(self.owner_from_name(d.name, kinds), county, Unit.Kind.ENTERPRISE)
        else:
            owner = self.county_gov[d.county]
        responsible = (self.departments["葫芦岛市项目发展服务中心"] if level in (
            Project.Level.PROVINCIAL_MAJOR, Project.Level.PROVINCIAL) else
            self.departments[dept] if rng.random() < 0.3 else self.county_gov[d.county])
        # A continuing (续建) project has been under construction since before the plan year: it
        # started the year after its registration, and at the latest the year before the plan.
        start_year = min(registered + 1, YEAR - 1)
        planned_start = (date(start_year, rng.randint(3, 6), 1) if continuing
                         else date(YEAR, rng.randint(3, 9), 1))
        actual_start = (date(start_year, rng.randint(3, 6), rng.randint(1, 28)) if continuing
                        else d.started_on)
        years = 1 + (d.total > 50_000) + (d.total > 300_000) + (d.total > 1_000_000)
        planned_completion = date(planned_start.year + years, rng.randint(6, 12), 28)
        if d.nature == Nature.COMPLETING:
            planned_completion = date(YEAR, rng.randint(9, 12), 28)
        project = Project(
            code=self.project_code(county, registered) if rng.random() < 0.9 else None,
            name=d.name, region=region, address=f"{county.name}{rng.choice(COUNTIES[d.county][1])}",
            scope=self.scope(d), sector=self.sectors[d.sector], project_type=ptype,
            investment_nature=nature, level=level, stage=Stage.PREPARATION, owner=owner,
            responsible_unit=responsible, contact_person=rng.choice(["张", "王", "李", "刘", "陈", "杨"]) + rng.choice(["工", "经理", "主任"]),
            contact_phone=f"0429-{rng.randint(2000000, 3999999)}",
            planned_start=planned_start, planned_completion=planned_completion,
            actual_start=actual_start if (continuing or (d.started_on and d.started_on <= date(2022, 12, 31))) else None,
            total_investment=Decimal(d.total),
        )
        place(project).full_clean()
        project.save()
        self.transitions(project, d, registered)
        if d.leaders:
            project.leaders.set(d.leaders)
        lists = []
        if level in (Project.Level.PROVINCIAL_MAJOR, Project.Level.PROVINCIAL):
            lists.append(self.lists["provincial"])
        if nature == "government" and rng.random() < 0.5:
            lists.append(self.lists["bond"])
        if d.group == "new_started" and d.started_on and d.started_on.month == 4 and rng.random() < 0.7:
            lists.append(self.lists["ceremony"])
        if lists:
            project.lists.set(lists)
        self.funding(project, nature, d.total)
        started = d.started_on is not None
        plan = AnnualPlan(
            project=project, year=YEAR, nature=d.nature, planned_investment=Decimal(d.annual),
            prior_completed=Decimal(d.prior), planned_start_month=(d.started_on or planned_start).month
            if not continuing else 3,
            batch=Batch.PREPARATION if d.group == "new_waiting" else Batch.CONSTRUCTION,
            started=started, started_on=d.started_on,
        )
        plan.full_clean()
        plan.save()
        return project

    def owner_from_name(self, name: str, kinds: list[str]) -> str:
        """The company a project's name starts with, or a new one of the sector."""
        found = re.match(r"^(.*?有限(?:责任)?公司)", name)
        return found.group(1) if found else self.company_name(kinds)

    def scope(self, d: Draft) -> str:
        area = self.rng.randint(2, 60) * 1000
        return f"总占地面积约{area:,}平方米，主要建设{d.sector}相关生产及配套设施，总投资{Decimal(d.total) / 10000:.2f}亿元。"

    def transitions(self, project: Project, d: Draft, registered: int) -> None:
        prepared_on = date(registered, self.rng.randint(1, 10), self.rng.randint(1, 28))
        if project.actual_start:
            # 前期 before 在建: a project registered in the year it starts spent a month in preparation.
            prepared_on = min(prepared_on, project.actual_start - timedelta(days=30))
        steps = [(Stage.PREPARATION, prepared_on)]
        if project.actual_start:
            steps.append((Stage.CONSTRUCTION, project.actual_start))
        if d.group == "continuing_waiting" and self.rng.random() < 0.4:
            steps.append((Stage.SUSPENDED, date(2021, 11, self.rng.randint(1, 30))))
        previous = ""
        for stage, on in steps:
            with on_its_day(on):
                StageTransition.objects.create(project=project, from_stage=previous, to_stage=stage, date=on,
                                               note="演示数据" if not previous else "")
            previous = stage
        project.stage = previous
        with on_its_day(steps[-1][1]):
            project.save()

    def funding(self, project: Project, nature: str, total: int) -> None:
        kinds = (["central_budget", "special_bond", "provincial_subsidy", "local_fiscal"] if nature == "government"
                 else ["self_raised", "bank_loan"])
        shares = [self.rng.uniform(0.5, 2) for _ in kinds]
        amounts = split_capped(total, [total] * len(kinds), shares)
        for kind, amount in zip(kinds, amounts, strict=True):
            if amount:
                FundingSource.objects.create(project=project, kind=kind, amount=Decimal(amount))

    def write_reserve(self) -> None:
        """谋划储备一批: projects in the library, not in the 2022 plan."""
        for _ in range(RESERVE):
            county = self.rng.choice(list(COUNTIES))
            sector = self.rng.choice(list(SECTORS))
            total = self.rng.randint(3, 300) * 1000
            project = Project(name=self.name_for(county, sector, total), region=self.counties[county],
                              sector=self.sectors[sector], project_type=SECTORS[sector][0],
                              investment_nature=SECTORS[sector][1], level=Project.Level.COUNTY,
                              stage=Stage.PLANNING, owner=self.county_gov[county],
                              responsible_unit=self.county_fgj[county], total_investment=Decimal(total),
                              scope="谋划储备项目，正在开展前期论证。")
            place(project).full_clean()
            project.save()
            StageTransition.objects.create(project=project, to_stage=Stage.PLANNING, date=date(2022, 1, 15),
                                           note="纳入谋划储备")

    # --- demo logins -----------------------------------------------------------------
    def users(self, projects: list[Project]) -> list[User]:
        owner_unit = self.busiest_owner()
        users = [
            demo_user("admin", "刘文博（市发改委）", User.Role.CITY_ADMIN, self.departments["葫芦岛市发展和改革委员会"]),
            demo_user("lianshan", "连山区填报员", User.Role.COUNTY_CLERK, self.county_fgj["连山区"]),
            demo_user("suizhong", "绥中县填报员", User.Role.COUNTY_CLERK, self.county_fgj["绥中县"]),
            demo_user("longgang", "龙港区填报员", User.Role.COUNTY_CLERK, self.county_fgj["龙港区"]),
            demo_user("nanpiao", "南票区填报员", User.Role.COUNTY_CLERK, self.county_fgj["南票区"]),
            demo_user("xingcheng", "兴城市填报员", User.Role.COUNTY_CLERK, self.county_fgj["兴城市"]),
            demo_user("jianchang", "建昌县填报员", User.Role.COUNTY_CLERK, self.county_fgj["建昌县"]),
            demo_user("fgw", "项目服务中心填报员", User.Role.DEPARTMENT_CLERK, self.departments["葫芦岛市项目发展服务中心"]),
            demo_user("leader", "王建国（市长）", User.Role.LEADER, self.city_gov),
            demo_user("owner", "企业填报员", User.Role.OWNER, owner_unit),
            demo_user("viewer", "市统计局查阅", User.Role.VIEWER, self.departments["葫芦岛市发展和改革委员会"]),
        ]
        mayor = self.leaders[1]
        mayor.user = users[8]
        mayor.save()
        return users

    def busiest_owner(self) -> Unit | None:
        from django.db.models import Count

        return (Unit.objects.filter(kind=Unit.Kind.ENTERPRISE, region__path__startswith=self.city.path)
                .annotate(n=Count("owned_projects")).order_by("-n", "pk").first())
