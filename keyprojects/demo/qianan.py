"""Qian'an (迁安市, Tangshan, Hebei), 2022: the published plan and its completion.

284 key projects, 1410.1 亿元 in total, 267.6 亿元 planned for 2022; approved monthly reports
January–June put the year-to-date completed investment at 157.2 亿元 as of 2022-07-15
(completion rate 58.7 %). 11 projects are on the provincial pre-work list and 44 on the
provincial / Tangshan key lists (552.5 亿元). The split into new and continuing projects, the
starts and everything else are invented but plausible, and the same on every run.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time
from decimal import Decimal

from django.utils import timezone

from keyprojects.accounts.models import Leader, Unit, User
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
AS_OF = date(2022, 7, 15)  # the article's date
SEED = 20220715
PROJECTS, TOTAL, ANNUAL = 284, 14_101_000, 2_676_000
COMPLETED_BY_JULY_15 = 1_572_000
KEY_LIST = (44, 5_525_000)  # 省、唐山市重点项目: count and total investment
PRE_WORK = 11  # 省重点前期项目
CONTINUING, STARTED_NEW, STARTED_CONTINUING = 120, 112, 114

NAMED = [  # the seed article's projects: (name, sector, total)
    ("河北鑫达钢铁产能减量置换转型升级项目", "钢铁", 1_800_000),
    ("中溶科技7500Nm³/h制氢项目", "氢能", 62_000),
    ("首钢智新高性能取向硅钢项目", "新材料", 650_000),
    ("唐山燕阳冷轧镀锌项目", "钢铁", 260_000),
]
SECTORS = {
    "钢铁": ("industry", ["{co}轧钢生产线升级改造项目", "{co}烧结机超低排放改造项目", "{co}高炉节能改造项目"]),
    "新材料": ("industry", ["{co}年产{n}万吨特种钢材项目", "{co}高端金属制品项目"]),
    "装备制造": ("industry", ["{co}智能装备制造项目", "{co}矿山机械再制造项目"]),
    "氢能": ("industry", ["{co}氢能产业园项目", "{co}加氢站建设项目"]),
    "文化旅游": ("social", ["{place}文旅综合体项目", "{place}山水田园综合体项目"]),
    "基础设施": ("infrastructure", ["{place}道路提升改造工程", "{place}集中供热管网工程", "{place}污水处理厂扩建工程"]),
    "社会民生": ("social", ["{place}学校建设工程", "{place}卫生院改扩建工程", "{place}老旧小区改造工程"]),
    "现代服务业": ("industry", ["{co}物流园区项目", "{co}商贸综合体项目"]),
}
PLACES = ["迁安镇", "夏官营镇", "杨各庄镇", "建昌营镇", "赵店子镇", "野鸡坨镇", "大崔庄镇", "杨店子镇", "彭店子镇",
          "沙河驿镇", "木厂口镇", "五重安乡", "蔡园镇", "马兰庄镇", "太平庄乡", "上射雁庄乡"]
CO_WORDS = ["首钢", "燕山", "九江", "轧一", "鑫达", "燕阳", "金岭", "聚鑫", "华兴", "宏泰", "迁钢", "中溶", "冀东", "晟达"]
# Who answers which kind of problem (each unit's clerk: its login), and the ledger at AS_OF.
DISPATCH_UNITS = {
    "迁安市自然资源和规划局": "qianan_zrj", "迁安市住房和城乡建设局": "qianan_zjj", "迁安市行政审批局": "qianan_spj",
    "迁安市财政局": "qianan_czj", "国网迁安市供电公司": "qianan_gdj", "迁安市水务局": "qianan_swj",
    "迁安市交通运输局": "qianan_jtj", "唐山市生态环境局迁安市分局": "qianan_hbj", "迁安市工业和信息化局": "qianan_gxj",
}
DISPATCH_LEADS = {
    "land": ["迁安市自然资源和规划局"], "approval": ["迁安市行政审批局", "迁安市住房和城乡建设局"],
    "demolition": ["迁安市住房和城乡建设局", "迁安市自然资源和规划局"], "funding": ["迁安市财政局"],
    "utilities": ["国网迁安市供电公司", "迁安市水务局", "迁安市交通运输局"], "environment": ["唐山市生态环境局迁安市分局"],
    "energy": ["迁安市工业和信息化局"], "construction": ["迁安市住房和城乡建设局"], "other": ["迁安市工业和信息化局"],
}
DISPATCH_LEDGER = Ledger(closed=54, overdue=2, in_progress=3, replied=2, new=1)
LEADERS = [("高建军", "市委书记"), ("刘志勇", "市长"), ("张海峰", "常务副市长"), ("杨立华", "副市长"), ("马文涛", "副市长")]


class QiananDemo:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)
        self.names: set[str] = set()

    def load(self) -> dict:
        rng = self.rng
        self.city = Region.objects.find("迁安市")
        fgj = unit("迁安市发展和改革局", self.city, Unit.Kind.DEPARTMENT)
        gov = unit("迁安市人民政府", self.city, Unit.Kind.GOVERNMENT)
        center = unit("迁安市重点项目服务中心", self.city, Unit.Kind.DEPARTMENT)
        admin = demo_user("qianan", "迁安市发改局管理员", User.Role.CITY_ADMIN, fgj)
        clerk = demo_user("qianan_clerk", "迁安市项目服务中心填报员", User.Role.DEPARTMENT_CLERK, center)
        leaders = []
        for order, (name, title) in enumerate(LEADERS):
            leader = Leader(name=name, title=title, region=self.city, order=order)
            leader.save()
            leaders.append(leader)
        key_list = ProjectList.objects.get_or_create(name="省、唐山市重点项目", year=YEAR)[0]
        pre_work = ProjectList.objects.get_or_create(name="省重点前期项目", year=YEAR)[0]

        # Totals: the 44 key-list projects hold 552.5 亿元 exactly, the other 240 the rest.
        key_totals = split_exact(KEY_LIST[1], KEY_LIST[0], rng, minimum=20_000, sigma=0.9,
                                 fixed=[t for _, _, t in NAMED])
        other_totals = split_exact(TOTAL - KEY_LIST[1], PROJECTS - KEY_LIST[0], rng, minimum=600, sigma=1.0)
        totals = key_totals + other_totals
        continuing = set(rng.sample(range(PROJECTS), CONTINUING))
        priors = [int(t * rng.uniform(0.2, 0.5)) if i in continuing else 0 for i, t in enumerate(totals)]
        annuals = split_capped(ANNUAL, [t - p for t, p in zip(totals, priors, strict=True)],
                               [t * rng.uniform(0.1, 0.3) for t in totals])
        started = set(rng.sample(sorted(continuing), STARTED_CONTINUING)) | set(
            rng.sample(sorted(set(range(PROJECTS)) - continuing), STARTED_NEW))
        start_dates = {i: day_between(rng, date(2022, 2, 15), date(2022, 4, 15)) if i in continuing
                       else day_between(rng, date(2022, 3, 1), date(2022, 6, 30)) for i in started}
        # Completed by mid-July: spread over the started projects, never above their plan.
        in_order = sorted(started)
        done = split_capped(COMPLETED_BY_JULY_15, [annuals[i] for i in in_order],
                            [annuals[i] * rng.uniform(0.5, 1.0) for i in in_order])
        completed = dict(zip(in_order, done, strict=True))

        sectors = {name: Sector.objects.get_or_create(name=name)[0] for name in SECTORS}
        entries = []
        for i, total in enumerate(totals):
            if i < len(NAMED):
                name, sector, _ = NAMED[i]
            else:
                sector = rng.choice(list(SECTORS))
                name = self.name_for(sector, total)
            company = f"迁安市{rng.choice(CO_WORDS)}{rng.choice(['钢铁', '实业', '科技', '建设'])}有限公司"
            owner = unit(company, self.city, Unit.Kind.ENTERPRISE) if SECTORS[sector][0] == "industry" else gov
            is_continuing = i in continuing
            on = start_dates.get(i)
            nature = Nature.CONTINUING if is_continuing else Nature.NEW
            building = under_construction(nature, on is not None)
            project = Project(
                name=name, region=self.city, address=f"迁安市{rng.choice(PLACES)}", sector=sectors[sector],
                project_type=SECTORS[sector][0],
                investment_nature="enterprise" if SECTORS[sector][0] == "industry" else "government",
                level=Project.Level.PROVINCIAL if i < KEY_LIST[0] else Project.Level.CITY,
                stage=Stage.CONSTRUCTION if building else Stage.PREPARATION,
                owner=owner, responsible_unit=center if i < KEY_LIST[0] else fgj,
                total_investment=Decimal(total),
                actual_start=date(2021, rng.randint(3, 9), 10) if is_continuing else on,
                planned_start=date(2021, 3, 1) if is_continuing else date(2022, rng.randint(3, 8), 1),
                planned_completion=date(2023 + (total > 100_000), rng.randint(6, 12), 30),
                scope=f"{sector}项目，总投资{Decimal(total) / 10000:.2f}亿元。",
            )
            place(project).full_clean()
            project.save()
            with on_its_day(project.actual_start):
                StageTransition.objects.create(project=project, to_stage=project.stage,
                                               date=project.actual_start or date(2022, 1, 10), note="演示数据")
            if i < KEY_LIST[0]:
                project.lists.add(key_list)
            elif i < KEY_LIST[0] + PRE_WORK:
                project.lists.add(pre_work)
            if i < 30:
                project.leaders.add(leaders[i % len(leaders)])
            start = on or project.planned_start
            assert start is not None  # (the project's planned start is set above)
            plan = AnnualPlan(
                project=project, year=YEAR, nature=nature,
                planned_investment=Decimal(annuals[i]), prior_completed=Decimal(priors[i]),
                batch=Batch.CONSTRUCTION if building else Batch.PREPARATION,
                started=on is not None, started_on=on, planned_start_month=start.month,
            )
            plan.full_clean()
            plan.save()
            final = completed.get(i, 0)
            entries.append((project, plan, cumulative_path(final, on.month if on else 6, 6), on))

        periods = {}
        for month in range(1, 7):
            period = ReportingPeriod(region=self.city, year=YEAR, month=month, opens_on=date(YEAR, month, 20),
                                     closes_on=date(YEAR, month, 25),
                                     state=ReportingPeriod.State.LOCKED if month < 6 else ReportingPeriod.State.CLOSED)
            period.save()
            periods[month] = period

        def approved_at(month: int):
            return timezone.make_aware(datetime.combine(date(YEAR, month + 1, 8), time(10, 0)))

        reports = write_reports(entries, periods, approved_at, lambda project: clerk, admin)
        dispatched = self.dispatch(admin, leaders, center, [e[0] for e in entries])
        approvals.for_plan(self.city, YEAR, AS_OF, random.Random(SEED + 19))
        return {"projects": PROJECTS, "reports": reports, **dispatched}

    def dispatch(self, admin: User, leaders: list[Leader], center: Unit, projects: list[Project]) -> dict[str, int]:
        """The article's dispatch by mid-July: 7 concentrated, 10 single-project and 23 on-site
        meetings, 54 problems solved (signed off), and the ledger's open ones beside them."""
        rng = random.Random(SEED + 1)
        units = answering_units(self.city, DISPATCH_UNITS)
        leads = {category: [units[name] for name in names] for category, names in DISPATCH_LEADS.items()}
        secretary, mayor, executive, deputy_1, deputy_2 = leaders
        cast = Cast(city=self.city, as_of=AS_OF, dispatcher=admin, leaders=leaders,
                    projects=list(dict.fromkeys(projects[:20] + [p for p in projects if p.stage == Stage.CONSTRUCTION][:150])),
                    leads=leads,
                    co_units=[center, *units.values()], places=["市政府第一会议室", "市政府三楼会议室", "市发改局会议室"])
        spring_festival = (date(2022, 1, 29), date(2022, 2, 6))
        plans = [MeetingPlan(MeetingKind.CONCENTRATED, day, secretary if n in (0, 6) else mayor,
                             f"迁安市2022年第{n + 1}次重点项目集中调度会", problems=rng.randint(2, 3))
                 for n, day in enumerate([date(2022, 1, 18), date(2022, 2, 22), date(2022, 3, 24), date(2022, 4, 21),
                                          date(2022, 5, 19), date(2022, 6, 16), date(2022, 7, 12)])]
        plans += [MeetingPlan(MeetingKind.SINGLE_PROJECT, day, rng.choice([executive, deputy_1, deputy_2]),
                              "{project}专题调度会", problems=rng.randint(1, 2))
                  for day in weekdays_between(rng, date(2022, 2, 14), date(2022, 7, 14), 10, spring_festival)]
        plans += [MeetingPlan(MeetingKind.ON_SITE, day, rng.choice(leaders), "{project}现场调度会",
                              problems=int(rng.random() < 0.7))
                  for day in weekdays_between(rng, date(2022, 3, 1), date(2022, 7, 14), 23)]
        plans.sort(key=lambda plan: plan.day)
        return DispatchDemo(cast, rng).write(plans, DISPATCH_LEDGER)

    def name_for(self, sector: str, total: int) -> str:
        for _ in range(50):
            template = self.rng.choice(SECTORS[sector][1])
            name = template.format(co=f"迁安市{self.rng.choice(CO_WORDS)}", place=self.rng.choice(PLACES),
                                   n=self.rng.choice([10, 20, 50, 100]))
            if name in self.names:
                name = name.replace("项目", "（二期）项目", 1).replace("工程", "（二期）工程", 1)
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("could not invent a unique project name")
