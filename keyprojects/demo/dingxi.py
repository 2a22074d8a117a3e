"""Dingxi (定西市, Gansu), 2022: the investment list the city published in April 2022.

The 2022 investment list (投资项目清单) holds 737 projects, 2611.6 亿元 in total, 766.7 亿元
planned for the year. At the second concentrated start event on 2022-04-20, 730 of them had
started or resumed (开复工率 99 %), 20 points above the same day of 2021, when 482 of the 612
projects of the 2021 plan had (78.8 %): the demo has both plans, and the same projects run
through them (2021's new starts continue in 2022, 2021's completions leave the list). The
"一总六分" lists of the library are reproduced where they are lists of projects: the 257
special-bond projects (568 亿元, all on the 2022 list), the "十四五" list of major
infrastructure (561 projects, 6986 亿元, partly on the 2022 list), and the 163 projects of
1017 亿元 already planned for 2023. 30 city leaders package 49 projects under construction and
26 in preparation. Approved monthly reports cover January–March of both years. Names, owners,
dates and every split not published are invented but plausible, and the same on every run.

Dingxi writes through ``core.bulk.save_in_bulk`` (a history row for every object, as the
ledger importer writes), checked by ``core.validation.validate``: it is the largest demo city.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from keyprojects.accounts.models import Leader, Unit, User, department_kind
from keyprojects.core.bulk import save_in_bulk
from keyprojects.core.validation import Checked, validate
from keyprojects.dispatch.models import MeetingKind
from keyprojects.projects.models import (
    AnnualPlan,
    Batch,
    Nature,
    Project,
    ProjectList,
    Sector,
    Stage,
    StageTransition,
    under_construction,
)
from keyprojects.regions.models import Region
from keyprojects.regions.services import add_zone
from keyprojects.reporting.models import ReportingPeriod

from . import approvals, funding
from .common import (
    cumulative_path,
    day_between,
    demo_user,
    place,
    split_capped,
    split_exact,
    unit,
    write_reports,
)
from .dispatch import (
    Cast,
    DispatchDemo,
    Ledger,
    MeetingPlan,
    answering_units,
    cadence_days,
    cadence_rule,
    weekdays_between,
)

YEAR = 2022
AS_OF = date(2022, 4, 20)  # the second concentrated start event; the article is of 2022-04-24
SEED = 20220424

PLAN = (737, 26_116_000, 7_667_000)  # projects, total and annual planned investment (万元)
BONDS = (257, 5_680_000)  # 地方政府专项债券项目 of 2022
FIVE_YEAR = (561, 69_860_000)  # "十四五"重大带动性基础设施项目清单
NEXT_YEAR = (163, 10_170_000)  # 2023年初步谋划项目
PACKAGED_BUILDING, PACKAGED_PREPARING = 49, 26  # projects packaged by the 30 city leaders
# 前期手续审批完成率 on 2022-04-20 and on the same day of 2021 (99 %, "比去年同期提高42个百分点")
APPROVALS_RATE = {2021: Decimal("57.0"), 2022: Decimal("99.0")}

# How the two plans share their projects (our choice). 2021's continuing projects and its new
# starts continue in 2022; 40 new projects of 2021 that did not start are new again in 2022;
# 247 projects completed in 2021; 372 projects are new in 2022. The 2021 plan: 612 projects.
CONTINUING_BOTH, STARTED_2021, CARRIED_OVER, COMPLETED_2021 = 155, 170, 40, 247
COMPLETED_2021_TOTAL = 6_318_000
# Started by 2021-04-20: 380 of the 402 continuing projects resumed and 102 new starts, 482 of
# 612 (78.8 %). By 2022-04-20: 323 of 325 continuing and 407 of 412 new, 730 of 737 (99.1 %).
RESUMED_BY_2021_AS_OF, STARTED_BY_2021_AS_OF = 380, 102
CONTINUING_RESUMED, NEW_STARTED = 323, 407
# "2月底前开复工60%以上": 276 continuing and 180 new projects (61.9 %) by the end of February;
# on 2022-04-20 itself, 20 resumed and 120 started (the second batch).
BY_FEBRUARY = (276, 180)
ON_THE_DAY = (20, 120)
ON_FIVE_YEAR_LIST = (150, 60)  # of the 2022 list and of the 2023 projects
COMPLETED_BY_MARCH = {2021: 722_000, 2022: 1_186_000}  # reports January–March
COMPLETING_2022 = 60

COUNTIES = {  # name: (weight, towns, rivers, scenic spot)
    "安定区": (20, ["凤翔镇", "内官营镇", "巉口镇", "西巩驿镇", "宁远镇", "香泉镇", "称钩驿镇", "鲁家沟镇",
                   "团结镇", "李家堡镇"], ["关川河", "西河"], "西岩山"),
    "通渭县": (12, ["平襄镇", "马营镇", "鸡川镇", "榜罗镇", "常家河镇", "义岗川镇", "陇阳镇", "华家岭镇"],
              ["散渡河", "牛谷河"], "榜罗镇会议纪念馆"),
    "陇西县": (18, ["巩昌镇", "文峰镇", "首阳镇", "菜子镇", "福星镇", "通安驿镇", "云田镇", "碧岩镇"],
              ["渭河", "科羊河"], "李氏文化旅游区"),
    "渭源县": (11, ["清源镇", "莲峰镇", "会川镇", "五竹镇", "路园镇", "北寨镇", "新寨镇", "麻家集镇"],
              ["渭河", "清源河"], "渭河源"),
    "临洮县": (17, ["洮阳镇", "八里铺镇", "新添镇", "辛店镇", "太石镇", "中铺镇", "峡口镇", "龙门镇", "玉井镇",
                   "衙下集镇"], ["洮河", "东峪沟"], "马家窑文化遗址"),
    "漳县": (9, ["武阳镇", "三岔镇", "盐井镇", "新寺镇", "殪虎桥镇", "四族镇", "金钟镇", "大草滩镇"],
            ["漳河", "龙川河"], "遮阳山"),
    "岷县": (13, ["岷阳镇", "蒲麻镇", "西寨镇", "梅川镇", "西江镇", "闾井镇", "十里镇", "茶埠镇", "中寨镇",
                 "清水镇"], ["洮河", "迭藏河"], "狼渡滩"),
}
ZONES = {"安定区": "定西经济开发区", "陇西县": "陇西经济开发区"}  # where industry settles

DEPARTMENTS = [
    "定西市发展和改革委员会", "定西市工业和信息化局", "定西市自然资源局", "定西市住房和城乡建设局",
    "定西市交通运输局", "定西市水务局", "定西市农业农村局", "定西市生态环境局", "定西市文体广电和旅游局",
    "定西市卫生健康委员会", "定西市中医药产业发展局", "定西市商务局",
]
# "3246": (rule, chair's title, every so many weeks, first meeting, the list it dispatches).
CADENCE = [
    ("常务副市长双周调度", "常务副市长", 2, date(2022, 1, 13), "plan"),
    ("市长四周调度", "市长", 4, date(2022, 1, 21), "bonds"),
    ("市委书记六周调度", "市委书记", 6, date(2022, 1, 25), "five_year"),
]
# The units answering problems besides the departments (their clerks' logins), who leads on what
# (a county's 发展和改革局 on its projects' demolition and site problems), the ledger at AS_OF.
DISPATCH_UNITS = {
    "定西市自然资源局": "dx_zrj", "定西市住房和城乡建设局": "dx_zjj", "定西市财政局": "dx_czj",
    "国网定西供电公司": "dx_gdj", "定西市交通运输局": "dx_jtj", "定西市生态环境局": "dx_hbj",
    "定西市工业和信息化局": "dx_gxj", "定西市水务局": "dx_swj",
}
DISPATCH_LEADS = {
    "land": ["定西市自然资源局"], "approval": ["定西市住房和城乡建设局", "定西市自然资源局"],
    "demolition": ["定西市自然资源局"], "funding": ["定西市财政局"],
    "utilities": ["国网定西供电公司", "定西市交通运输局", "定西市水务局"], "environment": ["定西市生态环境局"],
    "energy": ["定西市工业和信息化局"], "construction": ["定西市住房和城乡建设局"], "other": ["定西市工业和信息化局"],
}
DISPATCH_CO_UNITS = ["定西市自然资源局", "定西市住房和城乡建设局", "定西市水务局", "定西市农业农村局"]
DISPATCH_LEDGER = Ledger(closed=17, overdue=2, in_progress=3, replied=2, new=1)
LEADER_TITLES = [  # 30 city leaders (包抓 "1+1托4"): real titles, invented names
    "市委书记", "市长", "市委副书记", "常务副市长", "市人大常委会主任", "市政协主席", "市委常委、纪委书记",
    "市委常委、组织部部长", "市委常委、宣传部部长", "市委常委、政法委书记", "市委常委、统战部部长",
    "市委常委、秘书长", "市委常委、副市长", "副市长", "副市长", "副市长", "副市长", "市人大常委会副主任",
    "市人大常委会副主任", "市人大常委会副主任", "市人大常委会副主任", "市政协副主席", "市政协副主席",
    "市政协副主席", "市政协副主席", "市中级人民法院院长", "市人民检察院检察长", "市政府秘书长", "市长助理",
    "市委副秘书长",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ["建军", "志强", "文华", "海龙", "晓东", "红霞", "国栋", "立新", "永平", "继红", "振宇", "俊杰",
               "玉兰", "明亮", "长青", "德胜", "卫东", "秀英", "宏伟", "金山", "学军", "彦平", "天佑", "世杰",
               "雪梅", "春生", "占林", "旭东", "凤英", "思远"]

# sector: (project type, investment nature, department, bond-eligible, company kinds, templates)
SECTORS: dict[str, tuple[str, str, str, bool, list[str], list[str]]] = {
    "交通运输": ("infrastructure", "government", "定西市交通运输局", True, [], [
        "{county}{place}至{place2}公路改建工程", "{county}{place}农村公路提质改造工程", "{county}城区道路及管网改造工程",
        "{county}{place}客运站建设项目", "{county}{place}至{place2}段国道改扩建工程"]),
    "水利": ("infrastructure", "government", "定西市水务局", True, [], [
        "{county}{place}片区城乡供水一体化工程", "{county}{river}河道综合治理工程", "{county}{place}小型水库建设工程",
        "引洮供水{county}配套工程", "{county}{place}灌区续建配套与节水改造工程"]),
    "新能源": ("industry", "enterprise", "定西市发展和改革委员会", False, ["新能源", "风电", "电力"], [
        "{county}{n}万千瓦风电项目", "{county}{n}兆瓦光伏发电项目", "{county}{place}110千伏输变电工程",
        "{county}{n}兆瓦储能电站项目"]),
    "中医药": ("industry", "enterprise", "定西市中医药产业发展局", False, ["药业", "中药材", "医药科技"], [
        "{co}中药材精深加工项目", "{co}中药饮片生产线建设项目", "{co}中药材仓储物流中心项目",
        "{co}道地药材标准化种植基地项目"]),
    "马铃薯": ("industry", "enterprise", "定西市农业农村局", False, ["薯业", "农业科技", "淀粉"], [
        "{co}年产{n}万吨马铃薯全粉项目", "{co}马铃薯淀粉及制品加工项目", "{co}马铃薯种薯繁育基地项目"]),
    "草食畜牧": ("industry", "enterprise", "定西市农业农村局", False, ["牧业", "畜牧", "农牧"], [
        "{co}{n}万头肉牛养殖项目", "{co}{n}万只肉羊标准化养殖项目", "{co}饲草料加工项目"]),
    "新材料": ("industry", "enterprise", "定西市工业和信息化局", False, ["建材", "铝业", "新材料"], [
        "{co}新型建材生产线项目", "{co}铝制品深加工项目", "{co}装配式建筑产业园项目"]),
    "产业园区": ("infrastructure", "government", "定西市工业和信息化局", True, [], [
        "{county}工业园区基础设施建设项目", "{county}农产品加工产业园标准化厂房项目",
        "{county}{place}冷链物流园区建设项目"]),
    "文化旅游": ("social", "enterprise", "定西市文体广电和旅游局", False, ["文旅", "旅游开发"], [
        "{county}{scenic}景区提升改造项目", "{county}{place}乡村旅游示范点建设项目", "{co}文旅康养综合体项目"]),
    "社会民生": ("social", "government", "定西市卫生健康委员会", True, [], [
        "{county}人民医院综合楼建设项目", "{county}中医医院迁建项目", "{county}第{k}中学建设项目",
        "{county}职业教育中心建设项目", "{county}{place}养老服务中心建设项目", "{county}{place}中心幼儿园建设项目"]),
    "城市建设": ("urban", "government", "定西市住房和城乡建设局", True, [], [
        "{county}{place}老旧小区改造工程", "{county}城区集中供热改造工程", "{county}污水处理厂提标改造工程",
        "{county}{place}棚户区改造项目", "{county}{place}供排水管网改造工程"]),
    "生态环保": ("ecology", "government", "定西市生态环境局", True, [], [
        "{county}{place}水土保持综合治理工程", "{county}{place}国土绿化项目", "{county}{river}流域生态保护修复工程",
        "{county}生活垃圾处理场建设项目"]),
    "现代农业": ("industry", "government", "定西市农业农村局", True, [], [
        "{county}{place}高标准农田建设项目", "{county}{place}乡村振兴示范村建设项目", "{county}{place}农村人居环境整治项目"]),
}
INFRASTRUCTURE = ["交通运输", "水利", "新能源", "产业园区", "城市建设", "生态环保"]  # the "十四五" list's sectors
BIG = 100_000  # 万元: a project above it takes a name of ``MAJOR``
MAJOR = {  # the names of projects above ``BIG``
    "交通运输": ["{county}至{county2}高速公路项目", "定西至{county}城际快速通道项目", "{county}{place}至{county2}二级公路项目",
             "{county}{place}铁路物流基地项目", "G{road}线{county}{place}至{place2}段改扩建工程"],
    "水利": ["{county}{river}{place}水库工程", "{county}{river}{place}段防洪治理工程", "{county}{place}{river}引水工程",
           "{county}{place}灌区建设工程"],
    "新能源": ["{county}{place}{n}万千瓦风光储一体化项目", "{county}{place}抽水蓄能电站项目",
            "{county}{place}{n}万千瓦风电基地项目"],
    "产业园区": ["{county}循环经济产业园项目", "{county}{place}现代农业产业园项目", "{county}{place}物流园区基础设施项目"],
    "城市建设": ["{county}新型城镇化示范项目", "{county}城市综合管廊工程", "{county}{place}新区基础设施建设工程",
             "{county}{place}城乡融合发展示范项目"],
    "生态环保": ["{county}{river}流域山水林田湖草沙一体化保护修复工程", "{county}{place}矿山生态修复工程",
             "{county}{place}小流域综合治理工程"],
}
# 万元 per unit of the capacity a name gives after "{n}", so that a name fits its amount.
UNIT_COST = {"万千瓦": 5_000, "兆瓦光伏": 400, "兆瓦储能": 1_500, "万吨": 10_000, "万头": 20_000, "万只": 3_000}
ROUND_SIZES = [1, 2, 3, 5, 8, 10, 15, 20, 30, 50, 80, 100, 150, 200, 300, 500, 800, 1000]
CO_WORDS = ["陇原", "祁连", "鸿泰", "金穗", "岐黄", "扶正", "华岳", "瑞丰", "绿洲", "恒盛", "天和", "凯源", "宏达",
            "陇中", "丰源", "兴陇"]


@dataclass
class Draft:
    """A project before it is written: its group decides its plans, starts and stage."""

    group: str  # continuing, started_2021, carried_over, new, completed_2021, library
    name: str
    county: str
    sector: str
    total: int
    lists: list[str] = field(default_factory=list)
    prior: dict[int, int] = field(default_factory=dict)  # by plan year
    annual: dict[int, int] = field(default_factory=dict)
    started_on: dict[int, date] = field(default_factory=dict)
    nature: dict[int, str] = field(default_factory=dict)
    actual_start: date | None = None
    completed_on: date | None = None
    stage: str = Stage.CONSTRUCTION
    leader: Leader | None = None
    ytd: dict[int, int] = field(default_factory=dict)  # completed January–March, by year


class DingxiDemo:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.used_names: set[str] = set()
        self.checked = Checked()

    def load(self) -> dict[str, Any]:
        self.frame()
        plan = self.plan_drafts()
        completed = self.completed_drafts()
        library = self.library_drafts(plan)
        self.amounts(plan, completed)
        self.dates(plan, completed)
        self.completion(plan + completed)
        self.package(plan, library)
        drafts = plan + completed + library
        projects = self.write_projects(drafts)
        plans = self.write_plans(drafts, projects)
        users = self.users()
        reports = self.reports(drafts, projects, plans, users)
        dispatched = self.dispatch(users["admin"], projects[:len(plan)])
        self.approvals(drafts, projects)
        self.funding(drafts, projects)
        return {"projects": PLAN[0], "reports": reports, **dispatched}

    # --- funding rounds: the special-bond projects, and a small central-budget round --------
    def funding(self, drafts: list[Draft], projects: list[Project]) -> int:
        bonds = [p for d, p in zip(drafts, projects, strict=True) if "bonds" in d.lists]
        others = sorted((p for d, p in zip(drafts, projects, strict=True) if "plan" in d.lists and "bonds" not in d.lists),
                        key=lambda p: p.investment_nature != Project.InvestmentNature.GOVERNMENT)  # government first
        return funding.write_dingxi(self.city, bonds, others, random.Random(SEED + 23))

    # --- approvals: 前期手续审批完成率 99 %, 42 points above 2021 --------------------------------
    def approvals(self, drafts: list[Draft], projects: list[Project]) -> int:
        """The new projects of both plans scheduled back from their starts, 99.0 % of the 2022
        plan's items obtained by 2022-04-20 and 57.0 % of 2021's by 2021-04-20; the 2023
        projects scheduled back from a start next spring, their first items under way."""
        rng = random.Random(SEED + 19)
        starts: dict[int, date] = {}
        populations = {2021: approvals.Population(date(2021, 4, 20), {}, APPROVALS_RATE[2021]),
                       2022: approvals.Population(AS_OF, {}, APPROVALS_RATE[2022])}
        chosen = []
        for d, project in zip(drafts, projects, strict=True):
            new_in = [year for year in (2021, 2022) if d.nature.get(year) == Nature.NEW]
            if new_in:
                for year in new_in:
                    populations[year].starts[project.pk] = d.started_on.get(year)
                starts[project.pk] = d.started_on[max(new_in)] if max(new_in) in d.started_on else d.started_on[2022]
            elif "next_year" in d.lists:
                starts[project.pk] = day_between(rng, date(2023, 3, 1), date(2023, 6, 30))
            else:
                continue
            chosen.append(project)
        return approvals.write(self.city, chosen, starts, list(populations.values()), rng,
                               helpers=list(self.county_fgj.values()))

    # --- dispatch: the "3246" cadence ------------------------------------------------------
    def dispatch(self, admin: User, projects: list[Project]) -> dict[str, int]:
        """The "3246" cadence as rules (the executive deputy mayor every 2 weeks over the year's
        list, the mayor every 4 over the special-bond projects, the party secretary every 6 over
        the "十四五" major projects), the meetings each produced from January up to AS_OF, a few
        on-site dispatches, and the problems their decisions became."""
        rng = random.Random(SEED + 1)
        units = answering_units(self.city, DISPATCH_UNITS)
        everyone = {**self.departments, **units}
        by_title = {leader.title: leader for leader in reversed(self.leaders)}  # the first of each title
        rules = [cadence_rule(self.city, name, by_title[title], weeks, first, [self.lists[key]])
                 for name, title, weeks, first, key in CADENCE]
        on_lists = {key: set(Project.lists.through.objects.filter(projectlist=self.lists[key])
                             .values_list("project_id", flat=True)) for _n, _t, _w, _f, key in CADENCE}
        plans = []
        for rule, (_name, title, _weeks, _first, key) in zip(rules, CADENCE, strict=True):
            members = [p for p in projects if p.pk in on_lists[key]]
            for n, day in enumerate(cadence_days(rule, AS_OF), start=1):
                plans.append(MeetingPlan(MeetingKind.CONCENTRATED, day, rule.chair, f"{title}重点项目调度会（第{n}次）",
                                         rule=rule, problems=rng.randint(1, 2), projects=rng.sample(members, 5)))
        chairs = [leader for leader in self.leaders if leader.title in ("常务副市长", "副市长")]
        plans += [MeetingPlan(MeetingKind.ON_SITE, day, rng.choice(chairs), "{project}现场调度会", problems=1)
                  for day in weekdays_between(rng, date(2022, 3, 7), AS_OF - timedelta(days=5), 4)]
        plans.sort(key=lambda plan: plan.day)
        cast = Cast(city=self.city, as_of=AS_OF, dispatcher=admin, leaders=self.leaders[:17],
                    projects=projects[:200], leads={c: [everyone[n] for n in names] for c, names in DISPATCH_LEADS.items()},
                    co_units=[self.departments[name] for name in DISPATCH_CO_UNITS],
                    places=["市政府第一会议室", "市政府常务会议室", "市委小会议室"],
                    county_units={self.counties[name].pk: fgj for name, fgj in self.county_fgj.items()})
        return {"cadence_rules": len(rules), **DispatchDemo(cast, rng).write(plans, DISPATCH_LEDGER)}

    # --- the frame: regions, units, leaders, lists -----------------------------------------
    def frame(self) -> None:
        self.city = Region.objects.find("定西市")
        self.counties = {name: Region.objects.find(name, within=self.city) for name in COUNTIES}
        self.zones = {county: Region.objects.filter(parent=self.counties[county], name=name).first()
                      or add_zone(None, self.counties[county], name) for county, name in ZONES.items()}
        self.departments = {name: unit(name, self.city, Unit.Kind.DEPARTMENT) for name in DEPARTMENTS}
        self.county_gov = {n: unit(f"{n}人民政府", r, Unit.Kind.GOVERNMENT) for n, r in self.counties.items()}
        self.county_fgj = {n: unit(f"{n}发展和改革局", r, department_kind(r)) for n, r in self.counties.items()}
        self.leaders = []
        for order, title in enumerate(LEADER_TITLES):
            leader = Leader(name=SURNAMES[order % len(SURNAMES)] + GIVEN_NAMES[order], title=title,
                            region=self.city, order=order)
            validate(leader)
            leader.save()
            self.leaders.append(leader)
        self.sectors = {name: Sector.objects.get_or_create(name=name, defaults={"order": i})[0]
                        for i, name in enumerate(SECTORS)}
        self.lists = {key: ProjectList.objects.get_or_create(name=name, year=year)[0] for key, name, year in [
            ("plan", "投资项目清单", YEAR), ("bonds", "地方政府专项债券项目", YEAR),
            ("five_year", "“十四五”重大带动性基础设施项目清单", None), ("next_year", "初步谋划项目", YEAR + 1),
            ("second_batch", "第二批集中开复工项目", YEAR)]}

    # --- the drafts: the 2022 list, 2021's completed projects, the library beyond -----------
    def plan_drafts(self) -> list[Draft]:
        """The 737 projects of the 2022 list: the 257 special-bond projects (government
        investment) hold 568 亿元 exactly, the others the rest; each in one of the groups."""
        rng = self.rng
        count, total, _annual = PLAN
        bond_sectors = [s for s, spec in SECTORS.items() if spec[3]]
        drafts = [self.invent("plan", rng.choice(bond_sectors), t, big=t > BIG)
                  for t in split_exact(BONDS[1], BONDS[0], rng, minimum=1_000, sigma=1.0)]
        drafts += [self.invent("plan", rng.choice(list(SECTORS)), t, big=t > BIG)
                   for t in split_exact(total - BONDS[1], count - BONDS[0], rng, minimum=600, sigma=1.2)]
        for i, d in enumerate(drafts):
            d.lists.append("plan")
            if i < BONDS[0]:
                d.lists.append("bonds")
        order = list(range(count))
        rng.shuffle(order)
        sizes = (CONTINUING_BOTH, STARTED_2021, CARRIED_OVER)
        for group, size in zip(("continuing", "started_2021", "carried_over"), sizes, strict=True):
            for i in order[:size]:
                drafts[i].group = group
            order = order[size:]
        for i in order:
            drafts[i].group = "new"
        return drafts

    def completed_drafts(self) -> list[Draft]:
        """Projects of the 2021 plan completed that year (竣工), not on the 2022 list."""
        return [self.invent("completed_2021", self.rng.choice(list(SECTORS)), t, big=t > BIG)
                for t in split_exact(COMPLETED_2021_TOTAL, COMPLETED_2021, self.rng, minimum=600, sigma=0.9)]

    def library_drafts(self, plan: list[Draft]) -> list[Draft]:
        """The 2023 projects and the rest of the "十四五" list, in the library but in no plan:
        the largest infrastructure projects of the 2022 list and of the 2023 projects are on
        the "十四五" list, and its own projects hold what its total leaves."""
        rng = self.rng
        next_year = [self.invent("library", rng.choice(list(SECTORS)), t, big=t > BIG)
                     for t in split_exact(NEXT_YEAR[1], NEXT_YEAR[0], rng, minimum=1_000, sigma=1.0)]
        for d in next_year:
            d.lists.append("next_year")
        on_list = (self.largest_infrastructure(plan, ON_FIVE_YEAR_LIST[0])
                   + self.largest_infrastructure(next_year, ON_FIVE_YEAR_LIST[1]))
        own = FIVE_YEAR[0] - len(on_list)
        rest = FIVE_YEAR[1] - sum(d.total for d in on_list)
        five_year = [self.invent("library", rng.choice(INFRASTRUCTURE), t, big=t > BIG)
                     for t in split_exact(rest, own, rng, minimum=20_000, sigma=1.1)]
        for d in on_list + five_year:
            d.lists.append("five_year")
        library = next_year + five_year
        for d in library:
            d.stage = Stage.PLANNING
        return library

    @staticmethod
    def largest_infrastructure(drafts: list[Draft], n: int) -> list[Draft]:
        return sorted((d for d in drafts if d.sector in INFRASTRUCTURE), key=lambda d: -d.total)[:n]

    def invent(self, group: str, sector: str, total: int, big: bool) -> Draft:
        county = self.rng.choices(list(COUNTIES), [w for w, *_ in COUNTIES.values()])[0]
        return Draft(group, self.name_for(county, sector, total, big), county, sector, total)

    def name_for(self, county: str, sector: str, total: int, big: bool) -> str:
        rng = self.rng
        _type, _nature, _dept, _bond, kinds, templates = SECTORS[sector]
        if big and sector in MAJOR:
            templates = MAJOR[sector]
        _weight, towns, rivers, scenic = COUNTIES[county]
        for attempt in range(60):
            place, place2 = rng.sample(towns, 2)
            template = rng.choice(templates)
            name = template.format(
                county=county, county2=rng.choice([c for c in COUNTIES if c != county]), place=place,
                place2=place2, river=rng.choice(rivers), scenic=scenic, co=self.company(county, kinds),
                road=rng.choice([212, 310, 316, 247]),
                n=capacity(template, total), k=rng.randint(2, 9),
            )
            if attempt > 10:  # 二期 … 九期 of a name taken
                name = re.sub(r"(项目|工程)$", f"（{'二三四五六七八九'[attempt % 8]}期）\\1", name)
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError("could not invent a unique project name")

    def company(self, county: str, kinds: list[str]) -> str:
        if not kinds:
            return ""
        short = county if len(county) == 2 else county[:2]
        prefix = self.rng.choice(["甘肃", "定西", short])
        return f"{prefix}{self.rng.choice(CO_WORDS)}{self.rng.choice(kinds)}有限公司"

    # --- amounts and dates --------------------------------------------------------------------
    def amounts(self, plan: list[Draft], completed: list[Draft]) -> None:
        """What each project had done before each plan year and planned in it; 2022's plans add
        up to 766.7 亿元 exactly."""
        rng = self.rng
        for d in plan:
            t = d.total
            if d.group == "continuing":
                d.prior[2021] = int(t * rng.uniform(0.15, 0.45))
                d.annual[2021] = min(t - d.prior[2021], int(t * rng.uniform(0.2, 0.35)))
                d.prior[2022] = d.prior[2021] + int(d.annual[2021] * rng.uniform(0.8, 1.0))
            elif d.group == "started_2021":
                d.prior[2021] = 0
                d.annual[2021] = int(t * rng.uniform(0.2, 0.45))
                d.prior[2022] = int(d.annual[2021] * rng.uniform(0.6, 1.0))
            elif d.group == "carried_over":
                d.prior[2021] = 0
                d.annual[2021] = int(t * rng.uniform(0.2, 0.4))
                d.prior[2022] = 0
            else:
                d.prior[2022] = 0
        shares = [d.total * rng.uniform(0.15, 0.45) for d in plan]
        annual = split_capped(PLAN[2], [d.total - d.prior[2022] for d in plan], shares)
        for d, amount in zip(plan, annual, strict=True):
            d.annual[2022] = amount
        for d in completed:
            d.prior[2021] = int(d.total * rng.uniform(0.5, 0.85))
            d.annual[2021] = d.total - d.prior[2021]

    def dates(self, plan: list[Draft], completed: list[Draft]) -> None:
        """Starts in each plan year as of the articles' day (2021's two months later than
        2022's), natures, construction starts and completions."""
        rng = self.rng
        as_of_2021 = date(2021, 4, 20)
        # 2021: the continuing projects (both kinds) resume, some of the new ones start.
        continuing_2021 = [d for d in plan + completed if d.group in ("continuing", "completed_2021")]
        resumed_early = set(map(id, rng.sample(continuing_2021, RESUMED_BY_2021_AS_OF)))
        for d in continuing_2021:
            d.actual_start = date(rng.choice([2018, 2019, 2020]), rng.randint(3, 9), rng.randint(1, 28))
            d.started_on[2021] = (day_between(rng, date(2021, 3, 1), as_of_2021) if id(d) in resumed_early
                                  else day_between(rng, date(2021, 4, 21), date(2021, 5, 31)))
            d.nature[2021] = Nature.COMPLETING if d.group == "completed_2021" else Nature.CONTINUING
        started_2021 = [d for d in plan if d.group == "started_2021"]
        for i, d in enumerate(started_2021):
            d.started_on[2021] = (day_between(rng, date(2021, 3, 20), as_of_2021) if i < STARTED_BY_2021_AS_OF
                                  else day_between(rng, date(2021, 4, 21), date(2021, 10, 31)))
            d.actual_start = d.started_on[2021]
            d.nature[2021] = Nature.NEW
        for d in plan:
            if d.group == "carried_over":
                d.nature[2021] = Nature.NEW
        for d in completed:
            d.completed_on = day_between(rng, max(date(2021, 9, 1), d.started_on[2021]), date(2021, 12, 20))
            d.stage = Stage.COMPLETED
        continuing = [d for d in plan if d.group in ("continuing", "started_2021")]
        self.starts_2022(continuing, Nature.CONTINUING, CONTINUING_RESUMED, BY_FEBRUARY[0], ON_THE_DAY[0])
        self.starts_2022([d for d in plan if d.group in ("carried_over", "new")], Nature.NEW, NEW_STARTED,
                         BY_FEBRUARY[1], ON_THE_DAY[1])
        for d in rng.sample(continuing, COMPLETING_2022):
            d.nature[2022] = Nature.COMPLETING

    def starts_2022(self, members: list[Draft], nature: str, started: int, by_february: int,
                    on_the_day: int) -> None:
        """``started`` of ``members`` start by 2022-04-20: ``by_february`` of them by the end of
        February, ``on_the_day`` at the second concentrated event; the others later (continuing
        projects in May, new ones by September)."""
        members = members[:]
        self.rng.shuffle(members)
        for i, d in enumerate(members):
            if i < by_february:
                on = day_between(self.rng, date(2022, 2, 7), date(2022, 2, 28))
            elif i < started - on_the_day:
                on = day_between(self.rng, date(2022, 3, 1), AS_OF - timedelta(days=1))
            elif i < started:
                on = AS_OF
                d.lists.append("second_batch")
            else:
                last = date(2022, 5, 31) if nature == Nature.CONTINUING else date(2022, 9, 30)
                on = day_between(self.rng, AS_OF + timedelta(days=1), last)
            d.started_on[2022] = on
            d.nature[2022] = nature
            if d.actual_start is None:
                d.actual_start = on

    def completion(self, drafts: list[Draft]) -> None:
        """Investment completed January–March of each year, by the projects started by then."""
        for year, total in COMPLETED_BY_MARCH.items():
            started = [d for d in drafts if year in d.started_on and d.started_on[year] <= date(year, 3, 31)]
            done = split_capped(total, [d.annual[year] // 2 for d in started],
                                [d.annual[year] * self.rng.uniform(0.5, 1.0) for d in started])
            for d, amount in zip(started, done, strict=True):
                d.ytd[year] = amount

    def package(self, plan: list[Draft], library: list[Draft]) -> None:
        """包抓: 49 of the largest projects under construction, 26 in preparation."""
        building = sorted((d for d in plan if d.started_on[YEAR] <= AS_OF), key=lambda d: -d.total)
        preparing = self.rng.sample(library, PACKAGED_PREPARING)
        for d in preparing:
            d.stage = Stage.PREPARATION
        for i, d in enumerate(building[:PACKAGED_BUILDING] + preparing):
            d.leader = self.leaders[i % len(self.leaders)]

    # --- writing -----------------------------------------------------------------------------
    def write_projects(self, drafts: list[Draft]) -> list[Project]:
        owners = self.owners(drafts)
        projects = [self.project(d, owners, seq) for seq, d in enumerate(drafts)]
        for project in projects:
            validate(project, self.checked)
        lists = [(p, [self.lists[key].pk for key in d.lists]) for d, p in zip(drafts, projects, strict=True)
                 if d.lists]
        leaders = [(p, [d.leader.pk]) for d, p in zip(drafts, projects, strict=True) if d.leader]
        save_in_bulk(Project, projects, m2m={"lists": lists, "leaders": leaders})
        transitions = [t for d, p in zip(drafts, projects, strict=True) for t in self.transitions(d, p)]
        save_in_bulk(StageTransition, transitions)
        return projects

    def owners(self, drafts: list[Draft]) -> dict[str, Unit]:
        """The enterprises the projects' names start with, one unit each."""
        names = {(d.name.split("有限公司")[0] + "有限公司", d.county) for d in drafts if "有限公司" in d.name}
        created = [Unit(name=name, region=self.counties[county], kind=Unit.Kind.ENTERPRISE)
                   for name, county in sorted(names)]
        for owner in created:
            validate(owner, self.checked)
        save_in_bulk(Unit, created)
        return {owner.name: owner for owner in created}

    def project(self, d: Draft, owners: dict[str, Unit], seq: int) -> Project:
        rng = self.rng
        ptype, nature, dept, _bond, _kinds, _templates = SECTORS[d.sector]
        county = self.counties[d.county]
        region = county
        if d.county in ZONES and nature == "enterprise" and rng.random() < 0.4:
            region = self.zones[d.county]
        level = (Project.Level.PROVINCIAL_MAJOR if d.total >= 500_000 else
                 Project.Level.PROVINCIAL if d.total >= 100_000 else
                 Project.Level.CITY if d.total >= 10_000 or rng.random() < 0.4 else Project.Level.COUNTY)
        company = d.name.split("有限公司")[0] + "有限公司" if "有限公司" in d.name else None
        owner = owners[company] if company else self.county_gov[d.county]
        provincial = level in (Project.Level.PROVINCIAL_MAJOR, Project.Level.PROVINCIAL)
        responsible = (self.departments[dept] if provincial
                       else self.county_gov[d.county] if rng.random() < 0.7 else self.county_fgj[d.county])
        if d.actual_start:
            planned_start = d.actual_start.replace(day=1)
        else:
            planned_start = date(rng.choice([2023, 2024, 2025]), rng.randint(3, 9), 1)
        years = 1 + (d.total > 50_000) + (d.total > 300_000) + (d.total > 1_000_000)
        planned_completion = date(planned_start.year + years, rng.randint(6, 12), 28)
        if d.completed_on:
            planned_completion = date(2021, 12, 28)
        elif d.nature.get(YEAR) == Nature.COMPLETING:
            planned_completion = date(YEAR, rng.randint(9, 12), 28)
        registered = (d.actual_start.year - rng.choice([0, 1]) if d.actual_start else None)
        code = (f"{registered}-{county.code}-{rng.choice(['01', '26', '44', '48', '50', '78'])}-"
                f"{rng.choice(['01', '02', '03'])}-{600000 + seq:06d}") if registered else None
        return place(Project(
            code=code, name=d.name, region=region, address=f"{d.county}{rng.choice(COUNTIES[d.county][1])}",
            scope=self.scope(d), sector=self.sectors[d.sector], project_type=ptype, investment_nature=nature,
            level=level, stage=d.stage, owner=owner, responsible_unit=responsible,
            contact_person=rng.choice("张王李刘陈杨马") + rng.choice(["工", "经理", "主任"]),
            contact_phone=f"0932-{rng.randint(8000000, 8999999)}", planned_start=planned_start,
            planned_completion=planned_completion, actual_start=d.actual_start, actual_completion=d.completed_on,
            total_investment=Decimal(d.total),
        ))

    def scope(self, d: Draft) -> str:
        total = f"总投资{Decimal(d.total) / 10000:.2f}亿元"
        if d.group == "library":
            return f"谋划储备项目，正在开展前期论证，估算{total}。"
        return f"主要建设{d.sector}相关工程及配套设施，{total}。"

    def transitions(self, d: Draft, project: Project) -> list[StageTransition]:
        rng = self.rng
        if d.actual_start is None:
            on = day_between(rng, date(2021, 3, 1), date(2022, 3, 31))
            steps = [(Stage.PLANNING, on)]
            if d.stage == Stage.PREPARATION:
                steps.append((Stage.PREPARATION, day_between(rng, on, date(2022, 4, 15))))
        else:
            prepared = date(d.actual_start.year - 1, rng.randint(3, 12), rng.randint(1, 28))
            steps = [(Stage.PREPARATION, prepared), (Stage.CONSTRUCTION, d.actual_start)]
            if d.completed_on:
                steps.append((Stage.COMPLETED, d.completed_on))
        made, previous = [], ""
        for stage, on in steps:
            made.append(StageTransition(project=project, from_stage=previous, to_stage=stage, date=on,
                                        note="" if previous else "演示数据"))
            previous = stage
        return made

    def write_plans(self, drafts: list[Draft], projects: list[Project]) -> dict[int, dict[int, AnnualPlan]]:
        """The plans of 2021 and 2022, by year and project id."""
        plans: dict[int, dict[int, AnnualPlan]] = {2021: {}, 2022: {}}
        for d, project in zip(drafts, projects, strict=True):
            for year in d.annual:
                started_on = d.started_on.get(year)
                nature = d.nature[year]
                # 开工建设一批: what is being built, or starts by the list's date (2021's: that year)
                begun = started_on is not None and (year < YEAR or started_on <= AS_OF)
                plan = AnnualPlan(
                    project=project, year=year, nature=nature, planned_investment=Decimal(d.annual[year]),
                    prior_completed=Decimal(d.prior[year]),
                    batch=Batch.CONSTRUCTION if under_construction(nature, begun) else Batch.PREPARATION,
                    started=started_on is not None, started_on=started_on,
                    planned_start_month=(started_on.month if started_on else 6) if nature == Nature.NEW else 3,
                )
                validate(plan, self.checked)
                plans[year][project.pk] = plan
        save_in_bulk(AnnualPlan, [plan for by_project in plans.values() for plan in by_project.values()])
        return plans

    # --- logins and reports ----------------------------------------------------------------
    def users(self) -> dict[str, User]:
        admin = demo_user("dingxi", "定西市发展改革委管理员", User.Role.CITY_ADMIN,
                          self.departments["定西市发展和改革委员会"])
        clerks = {county: demo_user(login, f"{county}填报员", User.Role.COUNTY_CLERK, self.county_fgj[county])
                  for login, county in CLERKS.items()}
        return {"admin": admin, **clerks}

    def reports(self, drafts: list[Draft], projects: list[Project], plans: dict[int, dict[int, AnnualPlan]],
                users: dict[str, User]) -> int:
        """Approved reports January–March of 2021 and 2022, filed by the county clerks."""
        counties = {region.pk: name for name, region in self.counties.items()}
        counties.update({zone.pk: name for name, zone in self.zones.items()})
        written = 0
        for year, by_project in plans.items():
            periods = {}
            for month in range(1, 4):
                period = ReportingPeriod(region=self.city, year=year, month=month, opens_on=date(year, month, 20),
                                         closes_on=date(year, month, 25), state=ReportingPeriod.State.LOCKED
                                         if (year, month) < (YEAR, 3) else ReportingPeriod.State.CLOSED)
                period.save()
                periods[month] = period
            entries = []
            for d, project in zip(drafts, projects, strict=True):
                if project.pk in by_project:
                    on = d.started_on.get(year)
                    counted = on if on and on <= date(year, 3, 31) else None
                    path = cumulative_path(d.ytd.get(year, 0), counted.month if counted else 3, 3)
                    entries.append((project, by_project[project.pk], path, on))

            def approved_at(month: int, year: int = year) -> datetime:
                return timezone.make_aware(datetime.combine(date(year, month + 1, 8), time(10, 0)))

            written += write_reports(entries, periods, approved_at,
                                     lambda project: users[counties[project.region_id]], users["admin"])
        return written


CLERKS = {"anding": "安定区", "tongwei": "通渭县", "longxi": "陇西县", "weiyuan": "渭源县", "lintao": "临洮县",
          "zhangxian": "漳县", "minxian": "岷县"}


def capacity(template: str, total: int) -> int:
    """The round capacity a project of ``total`` 万元 has, for a name ``template`` giving one
    after "{n}" (e.g. "{n}万千瓦风电"); 0 when it gives none."""
    if "{n}" not in template:
        return 0
    after = template.split("{n}", 1)[1]
    cost = next(c for unit, c in UNIT_COST.items() if after.startswith(unit))
    return min(ROUND_SIZES, key=lambda size: abs(math.log(size * cost / total)))
