"""A synthetic province for load and benchmark work: every city and county of a province,
their commissions, departments, enterprises and leaders, N projects with annual plans and
monthly reports over M months, a dispatch meeting per city a week and the problems they and
the reports raise — plausible figures, written fast.

Every row is written with ``bulk_create_with_history`` (django-simple-history), so each one
has its history row like any other write. That utility does not send
``pre_create_historical_record`` (the signal ``core.audit`` stamps the source with), so the
source, detail and user are passed explicitly from the current audit context.

Randomness is seeded: the same arguments give the same province.
"""

from __future__ import annotations

import calendar
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any, TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.alerts import services as alerts
from keyprojects.alerts.models import StartTarget, Warning, WarningRule
from keyprojects.approvals import backward, catalogue
from keyprojects.approvals.models import (
    ApprovalItem,
    ApprovalSchedule,
    ProjectApproval,
    default_path,
)
from keyprojects.attraction.models import (
    Agreement,
    Event,
    FundsReport,
    Lead,
    LeadStage,
    Origin,
    Package,
    PackageItem,
)
from keyprojects.attraction.models import Stage as LeadStep
from keyprojects.core.audit import Source, current
from keyprojects.core.permissions import SYSTEM
from keyprojects.demo.alerts import DINGXI_TARGETS
from keyprojects.demo.approvals import ISSUER_PREFIX
from keyprojects.demo.common import DEMO_PASSWORD
from keyprojects.dispatch.models import Decision, Meeting, MeetingKind, Problem, ProblemEvent
from keyprojects.funding.models import Application, Round
from keyprojects.projects.models import (
    AnnualPlan,
    Batch,
    Nature,
    PlanQuarter,
    Project,
    ProjectList,
    Sector,
    Stage,
    StageTransition,
)
from keyprojects.regions.models import Region
from keyprojects.reporting import progress
from keyprojects.reporting.models import ProgressReport, ReportingPeriod
from keyprojects.tasklists.models import Area, Task, Update

DETAIL = "generate_synthetic"
M = TypeVar("M", bound=Model)
BATCH = 5000
USERNAME_PREFIX = "syn"

Status = ProgressReport.Status

# sector: (project type, investment nature, department, company kinds, name templates, products)
SECTORS: dict[str, tuple[str, str, str, list[str], list[str], list[str]]] = {
    "装备制造": ("industry", "enterprise", "工业和信息化局", ["装备", "机械", "重工"],
             ["{co}{p}生产线建设项目", "{co}{p}智能制造项目", "{co}{p}技术改造项目"],
             ["数控机床", "工业机器人", "泵阀", "汽车零部件", "风电装备", "轨道交通装备", "船舶配套"]),
    "石化及精细化工": ("industry", "enterprise", "工业和信息化局", ["化工", "石化", "化学"],
                ["{co}年产{n}万吨{p}项目", "{co}{p}扩能改造项目"],
                ["乙烯", "聚丙烯", "精细化学品", "医药中间体", "表面活性剂", "催化剂"]),
    "冶金新材料": ("industry", "enterprise", "工业和信息化局", ["钢铁", "新材料", "镁业"],
              ["{co}年产{n}万吨{p}项目", "{co}{p}深加工项目"],
              ["高品质特钢", "镁合金", "硼材料", "碳纤维", "铝箔", "高纯石英砂"]),
    "新能源": ("industry", "enterprise", "能源局", ["新能源", "风电", "光伏"],
            ["{place}{n}万千瓦风电项目", "{place}{n}兆瓦光伏发电项目", "{place}{n}兆瓦储能电站项目"], [""]),
    "现代农业": ("industry", "enterprise", "农业农村局", ["农业", "农业科技", "食品"],
             ["{place}高标准农田建设项目", "{co}设施农业产业园项目", "{co}农产品冷链物流中心项目"], [""]),
    "文化旅游": ("social", "enterprise", "文化旅游和广播电视局", ["文旅", "旅游开发"],
             ["{place}文化旅游综合体项目", "{co}温泉康养小镇项目", "{place}全域旅游提升项目"], [""]),
    "交通基础设施": ("infrastructure", "government", "交通运输局", ["交通建设"],
               ["{place}至{place2}公路改扩建工程", "{place}农村公路提升工程", "{place}综合客运枢纽项目"], [""]),
    "市政公用": ("urban", "government", "住房和城乡建设局", ["城建"],
             ["{place}供热管网改造工程", "{place}供水管网更新改造工程", "{place}燃气管道建设项目",
              "{place}老旧小区改造工程"], [""]),
    "生态环保": ("ecology", "government", "生态环境局", ["环保"],
             ["{place}污水处理厂提标改造工程", "{place}河道综合治理工程", "{place}矿山生态修复项目"], [""]),
    "社会民生": ("social", "government", "发展和改革局", ["建设"],
             ["{place}中学新建工程", "{place}医院门诊楼建设项目", "{place}养老服务中心建设项目"], [""]),
    "现代服务业": ("industry", "enterprise", "商务局", ["物流", "商贸", "数据科技"],
              ["{co}现代物流园项目", "{co}电子商务产业园项目", "{co}数据中心项目"], [""]),
    "城市更新": ("urban", "enterprise", "住房和城乡建设局", ["置业", "房地产开发"],
             ["{place}棚户区改造项目", "{co}商业综合体项目", "{place}城市更新项目"], [""]),
}
CITY_DEPARTMENTS = ["发展和改革委员会", "项目发展服务中心", "工业和信息化局", "自然资源局", "住房和城乡建设局",
                    "交通运输局", "生态环境局", "农业农村局", "商务局", "能源局", "文化旅游和广播电视局"]
CO_WORDS = ["华信", "鑫源", "宏远", "恒信", "盛达", "永泰", "金港", "天利", "中科", "瑞丰", "泰和", "富利", "康宁",
            "北方", "辽海", "东昊", "兴业", "博远", "通达", "嘉禾", "万通", "华锦", "昌盛", "隆基", "正大", "德润"]
PLACE_WORDS = ["东城", "西湖", "南山", "北塔", "新华", "站前", "河东", "河西", "太平", "长兴", "红旗", "青山",
               "前进", "建设", "工业园", "开发区", "临港", "高新区", "滨海", "和平"]
PLACE_SUFFIXES = ["镇", "街道", "乡", "工业园区"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程"
GIVEN = ["建国", "志强", "海涛", "晓光", "红梅", "德胜", "宏伟", "建民", "国庆", "立军", "振华", "立新", "文博",
         "秀英", "桂兰", "永刚", "春生", "丽华", "明辉", "新民", "长青", "玉洁", "树林", "庆丰"]
LEADER_TITLES = ["市委书记", "市长", "常务副市长", "副市长", "副市长", "副市长", "副市长", "市委常委、秘书长",
                 "市人大常委会副主任", "市政协副主席"]
SEASON = [0.3, 0.4, 0.8, 1.2, 1.4, 1.5, 1.4, 1.4, 1.3, 1.1, 0.7, 0.4]  # share of work by month
INDUSTRY_CODES = ["13", "26", "34", "38", "44", "48", "54", "78", "87"]

TASK_AREAS = ["抓项目谋划储备", "抓重大项目推进", "抓招商引资", "抓工业强链", "抓新能源产业", "抓现代农业", "抓乡村振兴",
              "抓文化旅游", "抓消费提振", "抓要素保障", "抓资金争取", "抓营商环境", "抓生态环保", "抓督查督办"]
MEETING_KINDS = [MeetingKind.CONCENTRATED, MeetingKind.SINGLE_PROJECT, MeetingKind.ON_SITE, MeetingKind.CLOUD]
DECISIONS = ["加快办理前期手续，确保按期开工", "协调解决项目用地指标", "督促业主单位加快施工进度",
             "协调供电部门加快电力接入", "加快专项债券资金拨付", "推进征地拆迁和场地平整"]
PROBLEMS_PER_PROJECT_YEAR = 0.3
# category: (summaries, the city department that leads it; None: the county's government)
PROBLEMS: dict[str, tuple[list[str], str | None]] = {
    "land": (["用地指标紧张", "用地预审未批复", "土地报批进度慢"], "自然资源局"),
    "energy": (["能耗指标不足", "用能审查未通过"], "发展和改革委员会"),
    "funding": (["资金到位滞后", "专项债券资金未拨付", "融资未落实"], "发展和改革委员会"),
    "approval": (["施工许可未办理", "规划许可办理慢", "可研批复滞后"], "项目发展服务中心"),
    "demolition": (["征地拆迁进度慢", "拆迁补偿未谈妥"], None),
    "environment": (["环评手续待批复", "能评未完成"], "生态环境局"),
    "utilities": (["电力接入待协调", "供水管网未接通", "进场道路未修通"], "能源局"),
    "construction": (["施工用工紧张", "建材价格上涨影响进度"], "住房和城乡建设局"),
    "other": (["业主内部决策慢", "设计方案调整"], None),
}
RAISER_STEPS = {"raised", "assigned", "returned", "signed_off"}
PROBLEM_SOURCES = {"report": 40, "meeting": 30, "on_site": 15, "site_visit": 10, "public": 3, "province": 2}

PROGRESS_TEXT = {
    "waiting": ["办理前期手续", "正在开展可研编制", "用地手续办理中", "施工图设计中"],
    "winter": ["冬季停工，做好复工准备", "室内装修及设备采购"],
    "building": ["主体施工", "基础施工", "设备安装调试", "钢结构施工", "管网铺设", "附属工程施工"],
    "done": ["已完工，正在办理竣工验收", "已竣工"],
}

# investment attraction (招商引资): per city and year, as the Zhangye article counts them
EVENTS_PER_YEAR = 75
LEADS_PER_YEAR = 300
LEAD_HEAD_START = 182  # days before the span that leads are found in too
EVENT_KINDS = {"visit_out": 35, "visit_in": 30, "fair": 10, "online": 20, "other": 5}
EVENT_KINDS_TITLES = {"visit_out": "赴{place}开展{industry}产业招商推介", "visit_in": "{co}集团考察团来{city}考察对接",
                      "fair": "{fair}{city}专场签约活动", "online": "{city}“云招商”线上推介会（第{n}场）",
                      "other": "{city}{industry}产业链招商座谈会"}
FAIRS = ["兰洽会", "进博会", "东北亚博览会", "投洽会", "辽洽会", "夏季达沃斯论坛"]
OUT_PLACES = ["广东省深圳市", "上海市", "江苏省苏州市", "浙江省杭州市", "北京市", "山东省青岛市", "福建省厦门市",
              "天津市", "湖北省武汉市", "四川省成都市"]
CHAINS = {"装备制造": ["汽车零部件", "数控机床", "工业机器人"], "石化及精细化工": ["精细化工", "化工新材料"],
          "冶金新材料": ["精品钢材", "镁合金", "碳纤维"], "新能源": ["风光电", "储能", "氢能"],
          "现代农业": ["农产品加工", "冷链物流"], "文化旅游": ["文化旅游", "康养"],
          "现代服务业": ["现代物流", "电子商务", "数字经济"]}
INVESTOR_WORDS = ["中能", "华晟", "远景", "隆基", "金风", "正泰", "晶科", "天合", "新希望", "中粮", "首农", "华润",
                  "九州通", "河钢", "首钢", "三一", "徐工", "中联", "格力", "海螺", "中建材", "比亚迪", "宁德", "万华"]
INVESTOR_SUFFIXES = ["集团有限公司", "控股有限公司", "实业有限公司", "科技股份有限公司", "投资有限公司"]
LEAD_SUFFIXES = ["产业园项目", "生产基地项目", "扩能项目", "研发中心项目", "精深加工项目"]
DEATH_REASONS = ["投资方资金链紧张，暂缓对外投资", "用地规划调整，项目选址无法落实", "投资方战略调整，转投他地",
                 "能耗指标不足，项目无法落地"]
# the stage a lead is headed for (as far as the span's end lets it get), and the days each step takes
LEAD_GOALS = {"clue": 20, "talks": 25, "intention": 18, "framework": 11, "signed": 9, "landed": 7, "operating": 3,
              "dead": 7}
STEPS_TO = {"clue": [], "talks": ["talks"], "intention": ["talks", "intention"],
            "framework": ["talks", "intention", "framework"], "signed": ["talks", "intention", "framework", "signed"],
            "landed": ["talks", "intention", "framework", "signed", "landed"],
            "operating": ["talks", "intention", "framework", "signed", "landed", "operating"],
            "dead": ["talks", "dead"]}
STEP_DAYS = {"talks": (3, 40), "intention": (10, 60), "framework": (10, 60), "signed": (15, 90), "landed": (15, 120),
             "operating": (90, 300), "dead": (10, 90)}
STEP_FIELDS = {"talks": "talks_on", "intention": "intention_on", "framework": "framework_on", "signed": "signed_on",
               "landed": "landed_on", "operating": "operating_on", "dead": "died_on"}
AGREEMENT_OF = {"intention": Agreement.Kind.INTENTION, "framework": Agreement.Kind.FRAMEWORK,
                "signed": Agreement.Kind.CONTRACT}
# funding rounds (资金申报): each kind's conditions and the word of its documents' numbers
ROUND_KINDS: dict[str, tuple[dict[str, Any], str]] = {
    "special_bonds": ({"approvals_complete": True, "min_start_rate_issued": Decimal("50.0"), "start_within_months": 3,
                       "spend_within_months": 12}, "财债"),
    "central_budget": ({"approvals_complete": True, "start_within_months": 3, "spend_within_months": 12}, "发改投资"),
    "provincial_subsidy": ({"approvals_complete": False, "spend_within_months": 12}, "财建"),
}
NOT_RECOMMENDED = ["前期手续不完备", "项目成熟度不足", "不符合资金支持方向", "资本金未落实"]


def money(hundredths: int) -> Decimal:
    """Amounts are kept as whole hundredths of a 万元 while computing (exact), Decimal when stored."""
    return Decimal(hundredths).scaleb(-2)


def last_full_month(today: date) -> tuple[int, int]:
    first = today.replace(day=1) - timedelta(days=1)
    return first.year, first.month


def day_after(until: tuple[int, int]) -> date:
    """The day a province is looked at after its last month: the 15th of the next month (within
    the year), as ``keyprojects bench`` looks at it by default."""
    year, month = until
    return min(date(year + (month == 12), month % 12 + 1, 15), date(year, 12, 31))


def month_range(until: tuple[int, int], months: int) -> list[tuple[int, int]]:
    year, month = until
    out = []
    for _ in range(months):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


class SyntheticDataExists(Exception):
    """The province already has synthetic data (and --replace was not given)."""


@dataclass
class Options:
    province: str
    projects: int
    months: int
    until: tuple[int, int]
    seed: int = 2026
    replace: bool = False
    batch: int = BATCH


@dataclass
class Life:
    """One project's invented life: when it was meant to start, when it did, how its
    investment splits over its construction years."""

    total: int  # hundredths of 万元
    plan_year: int  # the year it first entered the plan as a new start
    start_year: int  # the year it actually started (plan_year, or later when it slipped)
    years: int  # construction years
    started_on: date | None = None
    completed: dict[int, int] = field(default_factory=dict)  # year -> completed that year
    planned: dict[int, int] = field(default_factory=dict)  # year -> annual plan
    resumed: dict[int, date | None] = field(default_factory=dict)  # year -> start/resume date
    anomaly_jump: set[int] = field(default_factory=set)

    @property
    def last_year(self) -> int:
        return self.start_year + self.years - 1

    def prior(self, year: int) -> int:
        return sum(v for y, v in self.completed.items() if y < year)

    def nature(self, year: int) -> str:
        if year <= self.start_year:
            return Nature.NEW
        return Nature.COMPLETING if year == self.last_year else Nature.CONTINUING


class Timer:
    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.phases: list[tuple[str, float, int]] = []
        self.started = time.perf_counter()

    def phase(self, name: str, seconds: float, rows: int) -> None:
        self.phases.append((name, seconds, rows))
        self.out(f"  {name:<24}{rows:>12,} 行 {seconds:>8.1f} 秒")


class SyntheticProvince:
    def __init__(self, options: Options, out: Callable[[str], None] = lambda s: None) -> None:
        self.o = options
        self.rng = random.Random(options.seed)
        # positions on the map from their own draws, so the other figures stay what they were
        self.place_rng = random.Random(options.seed + 1)
        # attraction and funding from their own draws too (added later: the rest stays as it was)
        self.stream_rng = random.Random(options.seed + 2)
        self.places: dict[str, list[tuple[Decimal, Decimal]]] = {}
        self.out = out
        self.timer = Timer(out)
        self.counts: dict[str, int] = defaultdict(int)
        ctx = current()
        self.actor = ctx.user if isinstance(ctx.user, User) else None
        self.history_attrs = {"history_source": ctx.source or Source.COMMAND, "history_detail": (ctx.detail or DETAIL)[:200],
                              "history_ip": ctx.ip}
        self.months = month_range(options.until, options.months)
        self.years = sorted({y for y, _ in self.months})
        self.until_day = date(options.until[0], options.until[1],
                              calendar.monthrange(*options.until)[1])
        self.now = timezone.now()
        self.made: list[tuple[int, Region, Life | None]] = []  # (project id, county, life) of each project written
        self.first_day = date(self.months[0][0], self.months[0][1], 1)
        self.warned: list[Region] = []  # the cities given warning rules here

    # --- writing --------------------------------------------------------------------
    def bulk(self, model: type[M], objs: list[M]) -> list[M]:
        """Insert with a history row each, attributed like any audited write."""
        if not objs:
            return objs
        created = bulk_create_with_history(
            objs, model, batch_size=self.o.batch, default_user=self.actor,
            custom_historical_attrs=self.history_attrs,
        )
        self.counts[model.__name__.lower()] += len(objs)  # (its _meta.model_name)
        return created

    # --- the whole run --------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        self.province = self.find_province()
        with transaction.atomic():
            existing = synthetic_projects(self.province)
            if existing.exists():
                if not self.o.replace:
                    raise SyntheticDataExists(
                        f"{self.province.name}已有合成数据（{existing.count():,} 个项目）；"
                        f"如需重新生成，请加 --replace（将删除原有合成数据）")
                self.timed("删除原有合成数据", self.delete_existing)
            self.timed("单位、领导、账号", self.write_frame)
            self.timed("填报期", self.write_periods)
            self.write_projects()
            self.timed("月报汇总", progress.refresh)
            self.timed("调度会", self.write_meetings)
            self.timed("问题台账", self.write_problems)
            self.timed("前期手续目录", self.write_catalogues)
            self.timed("前期手续", self.write_approvals)
            self.timed("考核方案", self.write_schemes)
            self.timed("任务清单", self.write_tasks)
            self.timed("招商引资", self.write_attraction)
            self.timed("包抓责任组（1+1托4）", self.write_packages)
            self.timed("资金申报", self.write_funding)
            # after the funding rounds: the daily evaluation also chases their idle funds
            self.timed("预警规则与开复工目标", self.write_warning_rules)
            self.timed("预警（每日评估）", self.write_warnings)
            self.timed("公开数据", self.write_publications)
        self.timed("统计信息", self.analyze)
        total = time.perf_counter() - self.timer.started
        return {"counts": dict(self.counts), "seconds": total, "phases": self.timer.phases}

    def analyze(self) -> int:
        """Fresh statistics for the planner after a million rows written at once: without them
        PostgreSQL guesses the tables empty (when autovacuum is off, or has not caught up yet)
        and picks plans that took the bench's dashboard floor query from 0.3 to over 30 s."""
        if connection.vendor != "postgresql":
            return 0
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return 0

    def timed(self, name: str, step: Callable[[], int]) -> None:
        started = time.perf_counter()
        rows = step()
        self.timer.phase(name, time.perf_counter() - started, rows)

    def find_province(self) -> Region:
        from django.core.management import call_command

        province = Region.objects.filter(level=Region.Level.PROVINCE, name__startswith=self.o.province[:2]).first()
        if province is None or not Region.objects.filter(parent__parent=province).exists():
            call_command("load_regions", province=[self.o.province], verbosity=0)
            province = Region.objects.find(self.o.province)
        return province

    # --- regions, units, leaders, users --------------------------------------------------
    def write_frame(self) -> int:
        rng = self.rng
        self.cities = list(Region.objects.filter(parent=self.province, level=Region.Level.PREFECTURE).order_by("code"))
        self.counties = list(Region.objects.filter(parent__in=self.cities, level=Region.Level.COUNTY)
                             .select_related("parent").order_by("code"))
        taken = set(Unit.objects.filter(region__path__startswith=self.province.path).values_list("region_id", "name"))
        units: list[Unit] = []

        def add_unit(name: str, region: Region, kind: str) -> Unit | None:
            if (region.pk, name) in taken:
                return None
            taken.add((region.pk, name))
            u = Unit(name=name, region=region, kind=kind, contact_person=self.person(),
                     contact_phone=f"0{rng.randint(410, 429)}-{rng.randint(2000000, 8999999)}")
            units.append(u)
            return u

        for city in self.cities:
            add_unit(f"{city.name}人民政府", city, Unit.Kind.GOVERNMENT)
            for dept in CITY_DEPARTMENTS:
                add_unit(f"{city.name}{dept}", city, Unit.Kind.DEPARTMENT)
        for county in self.counties:
            add_unit(f"{county.name}人民政府", county, Unit.Kind.GOVERNMENT)
            add_unit(f"{county.name}发展和改革局", county, Unit.Kind.DEPARTMENT)
        # Enterprises (project owners): about one per three enterprise projects of the county.
        self.county_weight = {c.pk: rng.uniform(0.4, 2.0) * (0.7 if c.name.endswith("区") else 1.0)
                              for c in self.counties}
        weight_sum = sum(self.county_weight.values())
        self.enterprise_names: dict[int, list[str]] = {}
        for county in self.counties:
            n = max(4, int(self.o.projects * self.county_weight[county.pk] / weight_sum * 0.6 / 3))
            names = []
            for i in range(n):
                profile = rng.choice(list(SECTORS.values()))
                base = f"{county.stem}{rng.choice(CO_WORDS)}{rng.choice(CO_WORDS)}{rng.choice(profile[3])}有限公司"
                name = base if (county.pk, base) not in taken else base.replace("有限公司", f"第{i}有限公司")
                if add_unit(name, county, Unit.Kind.ENTERPRISE):
                    names.append(name)
            self.enterprise_names[county.pk] = names
        self.bulk(Unit, units)
        by_key = {(u.region_id, u.name): u for u in Unit.objects.filter(region__path__startswith=self.province.path)}
        self.unit = lambda region, name: by_key[(region.pk, name)]
        self.enterprises = {c.pk: [by_key[(c.pk, n)] for n in self.enterprise_names[c.pk]] for c in self.counties}

        leaders = []
        existing_leaders = set(Leader.objects.filter(region__in=self.cities).values_list("region_id", "name"))
        for city in self.cities:
            used: set[str] = set()
            for order, title in enumerate(LEADER_TITLES):
                name = self.person(used)
                if (city.pk, name) not in existing_leaders:
                    leaders.append(Leader(name=name, title=title, region=city, order=order))
        self.bulk(Leader, leaders)
        self.leaders = defaultdict(list)
        for leader in Leader.objects.filter(region__in=self.cities).order_by("order"):
            self.leaders[leader.region_id].append(leader)

        # Logins for the demo and the benchmark: a city admin per city, a clerk per county
        # (one password hash for all: hashing 100+ passwords would take a minute).
        password = make_password(DEMO_PASSWORD)
        existing_users = set(User.objects.filter(username__startswith=USERNAME_PREFIX).values_list("username", flat=True))
        users = []
        for regions, role, person, unit in ((self.cities, User.Role.CITY_ADMIN, "发改委管理员", "发展和改革委员会"),
                                            (self.counties, User.Role.COUNTY_CLERK, "填报员", "发展和改革局")):
            for region in regions:
                username = f"{USERNAME_PREFIX}{region.code}"
                if username not in existing_users:
                    users.append(User(username=username, password=password, role=role,
                                      display_name=f"{region.name}{person}",
                                      unit=self.unit(region, f"{region.name}{unit}")))
        self.bulk(User, users)
        by_name = {u.username: u for u in User.objects.filter(username__startswith=USERNAME_PREFIX)}
        self.city_admin = {c.pk: by_name[f"{USERNAME_PREFIX}{c.code}"] for c in self.cities}
        self.clerk = {c.pk: by_name[f"{USERNAME_PREFIX}{c.code}"] for c in self.counties}

        sectors = []
        for order, name in enumerate(SECTORS):
            sector, _created = Sector.objects.get_or_create(name=name, defaults={"order": 50 + order})
            sectors.append(sector)
        self.sectors = dict(zip(SECTORS, sectors, strict=True))
        self.lists = {y: ProjectList.objects.get_or_create(name="省重点项目", year=y)[0] for y in self.years}
        return len(units) + len(leaders) + len(users)

    def person(self, used: set[str] | None = None) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)
            if used is None or name not in used:
                if used is not None:
                    used.add(name)
                return name

    # --- periods ----------------------------------------------------------------------
    def write_periods(self) -> int:
        existing = set(ReportingPeriod.objects.filter(region__in=self.cities).values_list("region_id", "year", "month"))
        periods = []
        for city in self.cities:
            for year, month in self.months:
                if (city.pk, year, month) in existing:
                    continue
                if (year, month) == self.o.until:
                    state = ReportingPeriod.State.OPEN
                elif (year, month) == self.months[-2 if len(self.months) > 1 else -1]:
                    state = ReportingPeriod.State.CLOSED
                else:
                    state = ReportingPeriod.State.LOCKED
                periods.append(ReportingPeriod(
                    region=city, year=year, month=month, opens_on=date(year, month, 20),
                    closes_on=date(year, month, 25), state=state,
                    locked_at=self.approval_time(year, month, 20) if state == ReportingPeriod.State.LOCKED else None,
                    locked_by=self.city_admin[city.pk] if state == ReportingPeriod.State.LOCKED else None,
                ))
        self.bulk(ReportingPeriod, periods)
        self.periods = {(p.region_id, p.year, p.month): p for p in ReportingPeriod.objects.filter(region__in=self.cities)}
        return len(periods)

    def approval_time(self, year: int, month: int, day: int, hour: int = 10) -> datetime:
        """When the city reviewed a month's reports: in the following month, never in the future."""
        y, m = (year, month + 1) if month < 12 else (year + 1, 1)
        moment = timezone.make_aware(datetime.combine(date(y, m, min(day, 28)), clock(hour, 0)))
        return min(moment, self.now - timedelta(hours=1))

    # --- projects, plans, reports --------------------------------------------------------
    def life(self) -> Life | None:
        """None for a project that stays in the reserve (谋划储备) over the whole span."""
        rng = self.rng
        first, last = self.years[0], self.years[-1]
        total = int(min(max(rng.lognormvariate(9.0, 1.25), 500), 3_000_000) * 100)  # median ~8,100 万元
        if rng.random() < 0.08:
            return None
        plan_year = rng.choices(range(first - 3, last + 2), weights=[1, 1.5, 2] + [4] * len(self.years) + [1.2])[0]
        start_year = plan_year + (1 if rng.random() < 0.1 else 0)
        years = 1 + (total > 100_000) + (total > 2_000_000) + (total > 20_000_000) + (rng.random() < 0.3)
        life = Life(total, plan_year, start_year, years)
        # Split the total over the construction years (the first one lighter), ~95 % done at the end.
        weights = [rng.uniform(0.6, 1.0) * (0.6 if i == 0 else 1.0) for i in range(years)]
        done_share = rng.uniform(0.9, 1.0)
        for i, w in enumerate(weights):
            life.completed[start_year + i] = int(total * done_share * w / sum(weights))
        month = rng.choices(range(3, 10), weights=[3, 4, 4, 3, 2, 1, 1])[0]
        life.started_on = date(start_year, month, rng.randint(1, 28))
        for year in range(start_year + 1, life.last_year + 1):
            if rng.random() < 0.05:  # not resumed this year (stopped): nothing completed
                life.resumed[year] = None
                life.completed[year] = 0
            else:
                life.resumed[year] = date(year, rng.choices([2, 3, 4, 5, 6], weights=[2, 5, 4, 1, 0.5])[0],
                                          rng.randint(1, 28))
        life.resumed[start_year] = life.started_on
        for year in range(plan_year, life.last_year + 1):
            remaining = total - life.prior(year)
            done = life.completed.get(year, 0)
            if year < start_year:  # planned as a new start, slipped: the plan hoped for a first share
                planned = int(total * rng.uniform(0.1, 0.3))
            else:
                planned = int(done / rng.uniform(0.9, 1.0)) if done else int(remaining * rng.uniform(0.2, 0.4))
            life.planned[year] = max(0, min(planned, remaining))
            if year >= start_year and life.resumed.get(year) and rng.random() < 0.004:
                life.anomaly_jump.add(year)
        return life

    def write_projects(self) -> None:
        rng = self.rng
        weights = [self.county_weight[c.pk] for c in self.counties]
        counters = {"projects": 0, "plans": 0, "reports": 0, "transitions": 0}
        seconds = {"projects": 0.0, "plans": 0.0, "reports": 0.0, "m2m": 0.0}
        chunk = self.o.batch
        packaged_total = 0
        for start in range(0, self.o.projects, chunk):
            n = min(chunk, self.o.projects - start)
            t0 = time.perf_counter()
            drafts = []
            for i in range(start, start + n):
                county = rng.choices(self.counties, weights)[0]
                drafts.append((county, self.life(), i))
            projects = [self.project(county, life, i) for county, life, i in drafts]
            projects = self.bulk(Project, projects)
            self.made += [(p.pk, county, life) for p, (county, life, _i) in zip(projects, drafts, strict=True)]
            transitions = [t for p, (_c, life, _i) in zip(projects, drafts, strict=True) for t in self.transitions(p, life)]
            self.bulk(StageTransition, transitions)
            counters["projects"] += len(projects)
            counters["transitions"] += len(transitions)
            t1 = time.perf_counter()
            seconds["projects"] += t1 - t0
            plans = []
            for project, (_county, life, _i) in zip(projects, drafts, strict=True):
                if life is None:
                    continue
                for year in self.years:
                    if year in life.planned:
                        plans.append(self.plan(project, life, year))
            self.bulk(AnnualPlan, plans)
            self.bulk(PlanQuarter, [q for plan in plans for q in self.roadmap(plan)])
            counters["plans"] += len(plans)
            t2 = time.perf_counter()
            seconds["plans"] += t2 - t1
            reports = 0
            for batch in self.batches(self.reports(projects, drafts), chunk):
                self.bulk(ProgressReport, batch)
                reports += len(batch)
            counters["reports"] += reports
            t3 = time.perf_counter()
            seconds["reports"] += t3 - t2
            packaged_total += self.package(projects, drafts)
            seconds["m2m"] += time.perf_counter() - t3
            self.out(f"    … {start + n:,} / {self.o.projects:,} 个项目，{counters['reports']:,} 份月报"
                     f"（{time.perf_counter() - self.timer.started:.0f} 秒）")
        self.timer.phase("项目及阶段变更", seconds["projects"], counters["projects"] + counters["transitions"])
        self.timer.phase("年度计划", seconds["plans"], counters["plans"])
        self.timer.phase("月报", seconds["reports"], counters["reports"])
        self.timer.phase("包抓领导与清单", seconds["m2m"], packaged_total)

    @staticmethod
    def batches(rows: Iterable[Model], size: int) -> Iterator[list[Model]]:
        batch: list[Model] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def project(self, county: Region, life: Life | None, index: int) -> Project:
        rng = self.rng
        sector_name = rng.choice(list(SECTORS))
        ptype, nature, dept, _kinds, templates, products = SECTORS[sector_name]
        total = life.total if life else int(min(max(rng.lognormvariate(8.8, 1.2), 500), 500_000) * 100)
        wan = total // 100
        level = (Project.Level.PROVINCIAL_MAJOR if wan >= 500_000 else Project.Level.PROVINCIAL if wan >= 100_000
                 else Project.Level.CITY if wan >= 10_000 or rng.random() < 0.3 else Project.Level.COUNTY)
        city = city_of(county)
        owner = (rng.choice(self.enterprises[county.pk]) if nature == "enterprise"
                 else self.unit(county, f"{county.name}人民政府"))
        if level in (Project.Level.PROVINCIAL_MAJOR, Project.Level.PROVINCIAL):
            responsible = self.unit(city, f"{city.name}项目发展服务中心")
        elif dept in CITY_DEPARTMENTS and rng.random() < 0.2:
            responsible = self.unit(city, f"{city.name}{dept}")
        else:
            responsible = self.unit(county, f"{county.name}人民政府")
        place = f"{rng.choice(PLACE_WORDS)}{rng.choice(PLACE_SUFFIXES)}"
        name = rng.choice(templates).format(
            co=owner.name.replace("有限公司", "").replace("人民政府", "") if nature == "enterprise" else county.name,
            p=rng.choice(products), n=rng.choice([1, 2, 5, 10, 20, 50]), place=f"{county.name}{place}",
            place2=rng.choice(PLACE_WORDS) + "镇")
        registered = (life.plan_year - rng.choice([0, 1, 1, 2])) if life else self.years[-1] - rng.choice([0, 1])
        planned_start = date(life.plan_year if life else self.years[-1] + 1, rng.randint(3, 9), 1)
        stage, actual_start, actual_completion = Stage.PLANNING, None, None
        planned_completion = date(planned_start.year + (life.years if life else 2) - 1, rng.randint(8, 12), 28)
        if life:
            if life.started_on and life.started_on <= self.until_day:
                stage, actual_start = Stage.CONSTRUCTION, life.started_on
                finished = date(life.last_year, rng.randint(9, 12), rng.randint(1, 28))
                if finished <= self.until_day:
                    stage, actual_completion = (Stage.OPERATING if finished.year < self.years[-1] and rng.random() < 0.5
                                                else Stage.COMPLETED), finished
                elif self.until_day.year in life.resumed and life.resumed[self.until_day.year] is None:
                    stage = Stage.SUSPENDED
            else:
                stage = Stage.PREPARATION
        elif rng.random() < 0.5:
            stage = Stage.PREPARATION
        code = None
        if rng.random() < 0.92:
            code = f"{registered}-{county.code}-{rng.choice(INDUSTRY_CODES)}-{rng.choice(['01', '02', '03'])}-{index % 1_000_000:06d}"
        longitude, latitude = self.position(county)
        return Project(
            code=code, name=name, region=county, address=f"{county.name}{place}", longitude=longitude, latitude=latitude,
            scope=f"总投资{money(total) / 10000:.2f}亿元，主要建设{sector_name}相关生产及配套设施。",
            sector=self.sectors[sector_name], project_type=ptype, investment_nature=nature, level=level,
            stage=stage, owner=owner, responsible_unit=responsible, contact_person=self.person(),
            contact_phone=f"1{rng.randint(3000000000, 9999999999)}", planned_start=planned_start,
            actual_start=actual_start, planned_completion=max(planned_completion, planned_start),
            actual_completion=actual_completion, total_investment=money(total),
        )

    UNPLACED_SHARE = 0.1  # left for the map's "未标注位置" list

    def position(self, county: Region) -> tuple[Decimal | None, Decimal | None]:
        """A point inside the county's outline, from a pool of points drawn once per county (a
        point-in-polygon test per project would cost a minute for 100,000); (None, None) for a
        share of the projects, and for a county without an outline."""
        from keyprojects.maps.geo import point_in

        if county.code not in self.places:
            rng = random.Random(county.code)
            self.places[county.code] = [p for p in (point_in(county.code, rng) for _ in range(64)) if p is not None]
        pool = self.places[county.code]
        if not pool or self.place_rng.random() < self.UNPLACED_SHARE:
            return None, None
        return self.place_rng.choice(pool)

    def transitions(self, project: Project, life: Life | None) -> list[StageTransition]:
        assert project.planned_start is not None  # (project() sets it)
        first = date(project.planned_start.year - 1, self.rng.randint(1, 12), self.rng.randint(1, 28))
        steps = [StageTransition(project=project, from_stage="", to_stage=Stage.PLANNING, date=first, note="纳入项目库")]
        previous = Stage.PLANNING
        if project.stage != Stage.PLANNING:
            steps.append(StageTransition(project=project, from_stage=previous, to_stage=Stage.PREPARATION,
                                         date=first + timedelta(days=60)))
            previous = Stage.PREPARATION
        if project.actual_start:
            steps.append(StageTransition(project=project, from_stage=previous, to_stage=Stage.CONSTRUCTION,
                                         date=project.actual_start))
            previous = Stage.CONSTRUCTION
        if project.actual_completion:
            steps.append(StageTransition(project=project, from_stage=previous, to_stage=Stage.COMPLETED,
                                         date=project.actual_completion))
            previous = Stage.COMPLETED
        if project.stage in (Stage.OPERATING, Stage.SUSPENDED) and project.stage != previous:
            completed = project.actual_completion  # (an operating project's is set: project())
            on = (completed + timedelta(days=90) if project.stage == Stage.OPERATING and completed is not None
                  else date(self.until_day.year - 1, 12, 1))
            steps.append(StageTransition(project=project, from_stage=previous, to_stage=project.stage,
                                         date=min(on, self.until_day)))
        return steps

    def plan(self, project: Project, life: Life, year: int) -> AnnualPlan:
        nature = life.nature(year)
        start = life.resumed.get(year) if year >= life.start_year else None
        # The plan records a start once the report announcing it was approved: in practice
        # by the last day covered.
        started_on = start if start and start <= self.until_day else None
        batch = (Batch.CONSTRUCTION if year > life.start_year or started_on else
                 Batch.PREPARATION if year >= life.plan_year else Batch.RESERVE)
        return AnnualPlan(
            project=project, year=year, nature=nature, planned_investment=money(life.planned[year]),
            prior_completed=money(life.prior(year)),
            planned_start_month=(life.started_on.month if nature == Nature.NEW and life.started_on else 3),
            batch=batch, started=started_on is not None, started_on=started_on,
            version=2 if started_on else 1,
        )

    ROADMAP = ((1, "征地拆迁与前期手续", 15), (2, "主体工程施工", 45), (3, "主体工程完工、设备安装", 75),
               (4, "竣工验收或完成年度任务", 100))

    def roadmap(self, plan: AnnualPlan) -> list[PlanQuarter]:
        """Half the last year's plans keep a quarterly roadmap (投资路线图), as the counties that
        draw one do: its cumulative share of the year's plan by each quarter's end (no draw from
        ``rng``, so the rest of the province is as before)."""
        if plan.year != self.years[-1] or plan.project_id % 2:
            return []
        return [PlanQuarter(plan=plan, quarter=q, work=work,
                            expected_investment=(plan.planned_investment * share / 100).quantize(Decimal("0.01")))
                for q, work, share in self.ROADMAP]

    def path(self, life: Life, year: int) -> dict[int, int]:
        """Year-to-date completion month by month (hundredths of 万元)."""
        done = life.completed.get(year, 0) if year >= life.start_year else 0
        start = life.resumed.get(year) if year >= life.start_year else None
        if not start or not done:
            return {m: 0 for m in range(1, 13)}
        first = start.month
        span = 13 - first
        increments = {m: 0 for m in range(1, 13)}
        # The building season peaks in summer; winter is slow. The noise stays below the
        # jump check's factor 3 from one month to the next.
        weights = {m: self.rng.uniform(0.85, 1.15) * SEASON[m - 1] for m in range(first, 13)}
        weight_sum = sum(weights.values())
        for m, w in weights.items():
            increments[m] = int(done * w / weight_sum)
        increments[12] += done - sum(increments.values())
        if year in life.anomaly_jump and span >= 4:
            month = self.rng.randint(first + 2, 12)
            moved = increments[month - 1] * 4 // 5  # last month small, this month ~10x: a jump
            increments[month - 1] -= moved
            increments[month] += moved
        ytd, path = 0, {}
        for m in range(1, 13):
            ytd += increments[m]
            path[m] = ytd
        return path

    def reports(self, projects: list[Project], drafts: list[tuple[Region, Life | None, int]]) -> Iterator[ProgressReport]:
        rng = self.rng
        last = self.o.until
        for project, (county, life, _i) in zip(projects, drafts, strict=True):
            if life is None:
                continue
            city = city_of(county)
            clerk, admin = self.clerk[county.pk], self.city_admin[city.pk]
            paths = {y: self.path(life, y) for y in self.years if y in life.planned}
            for year, month in self.months:
                if year not in paths:
                    continue
                path = paths[year]
                ytd = path[month]
                previous = path[month - 1] if month > 1 else 0
                start = life.resumed.get(year) if year >= life.start_year else None
                started = start is not None and start <= date(year, month, calendar.monthrange(year, month)[1])
                status = Status.APPROVED
                if (year, month) == last:
                    status = rng.choices([Status.APPROVED, Status.SUBMITTED, Status.DRAFT, Status.RETURNED],
                                         weights=[70, 18, 8, 4])[0]
                report = ProgressReport(
                    project=project, period=self.periods[(city.pk, year, month)],
                    completed_month=money(ytd - previous), completed_ytd=money(ytd),
                    completed_since_start=money(life.prior(year) + ytd),
                    progress=rng.choice(PROGRESS_TEXT["building" if started and ytd > previous else
                                                      "winter" if started else "waiting"]),
                    started=started, started_on=start if started else None,
                    problems="" if rng.random() < 0.85 else rng.choice(["用地指标紧张", "资金到位滞后", "环评手续待批复",
                                                                        "电力接入待协调", "征地拆迁进度慢"]),
                    next_steps=rng.choice(["加快施工进度", "推进前期手续办理", "确保按期完成年度投资"]),
                    status=status, version=1,
                )
                if status != Status.DRAFT:
                    day = rng.randint(1, 9)
                    report.submitted_at = self.approval_time(year, month, day, hour=rng.randint(8, 17))
                    report.submitted_by = clerk
                    report.version = 2
                if status in (Status.APPROVED, Status.RETURNED):
                    report.reviewed_at = self.approval_time(year, month, day + rng.randint(1, 5), hour=rng.randint(9, 18))
                    report.reviewed_by = admin
                    report.version = 3
                if status == Status.RETURNED:
                    report.return_reason = rng.choice(["本月完成投资与形象进度不符，请核实", "开复工日期有误，请修改"])
                    # A few returned reports claim more than the year's plan (a blocker the filer must fix).
                    plan = life.planned[year]
                    if rng.random() < 0.3 and plan and life.prior(year) + plan * 11 // 10 <= life.total:
                        report.completed_ytd = money(plan * 11 // 10)
                        report.completed_month = money(plan * 11 // 10 - previous)
                        report.completed_since_start = money(life.prior(year) + plan * 11 // 10)
                        report.return_reason = "本年累计完成超过年度计划投资，请核实"
                yield report

    def package(self, projects: list[Project], drafts: list[tuple[Region, Life | None, int]]) -> int:
        """Leaders package the biggest projects of their city (包抓), and provincial-level
        projects are on the provincial list: a few per cent of projects, written through
        the relations (each a recorded change of the project)."""
        count = 0
        for project, (county, life, _i) in zip(projects, drafts, strict=True):
            if life is None:
                continue
            big = project.total_investment >= 100_000
            if big or self.rng.random() < 0.005:
                leaders = self.leaders[city_of(county).pk]
                project.leaders.add(*self.rng.sample(leaders, self.rng.choice([1, 1, 2])))
                count += 1
            if project.level in (Project.Level.PROVINCIAL_MAJOR, Project.Level.PROVINCIAL):
                years = [y for y in self.years if y in life.planned]
                if years:
                    project.lists.add(*[self.lists[y] for y in years])
                    count += 1
        return count

    # --- dispatch: meetings and the problem ledger ------------------------------------------
    def write_meetings(self) -> int:
        """A dispatch meeting per city every week of the span (集中, 单体项目, 现场 or 云调度), chaired by
        one of its leaders, with a few decisions and of its projects on the agenda."""
        rng = self.rng
        by_city: dict[int, list[int]] = defaultdict(list)
        for pk, county, life in self.made:
            if life is not None:
                by_city[county.parent_id].append(pk)  # type: ignore[index]  # a county always has its city
        meetings: list[Meeting] = []
        agendas: list[list[int]] = []
        monday = self.first_day - timedelta(days=self.first_day.weekday())
        for city in self.cities:
            week, n = monday, 0
            while week <= self.until_day:
                day = week + timedelta(days=rng.choice([1, 2, 3, 4]))
                week += timedelta(days=7)
                if not self.first_day <= day <= self.until_day:
                    continue
                n += 1
                kind = rng.choices(MEETING_KINDS, weights=[2, 3, 4.5, 0.5])[0]
                meetings.append(Meeting(
                    kind=kind, title=f"{city.name}{day.year}年第{n}次重点项目{MeetingKind(kind).label}会",
                    region=city, chair=rng.choice(self.leaders[city.pk][:4]), date=day,
                    place=rng.choice(["市政府第一会议室", "项目现场", "市发改委会议室", "视频会议"]),
                    minutes="听取重点项目推进情况汇报，研究解决项目建设中的困难和问题。",
                    created_by=self.city_admin[city.pk]))
                projects = by_city.get(city.pk, [])
                agendas.append(rng.sample(projects, min(len(projects), 1 if kind == "single_project" else 5)))
        meetings = self.bulk(Meeting, meetings)
        decisions = [Decision(meeting=meeting, order=i, text=rng.choice(DECISIONS))
                     for meeting in meetings for i in range(1, rng.randint(2, 5) + 1)]
        self.bulk(Decision, decisions)
        for meeting, agenda in zip(meetings, agendas, strict=True):
            meeting.projects.add(*agenda)  # (recorded in the meeting's history, as on its page)
        self.meetings = defaultdict(list)
        for meeting in meetings:
            self.meetings[meeting.region_id].append(meeting)
        return len(meetings) + len(decisions)

    def write_problems(self) -> int:
        """About 0.3 problems per project a year, raised by the county, assigned to the unit its
        category calls for; most signed off after a reply, some in hand, overdue or escalated."""
        rng = self.rng
        days = (self.until_day - self.first_day).days + 1
        per_project = PROBLEMS_PER_PROJECT_YEAR * days / 365
        problems: list[Problem] = []
        timelines: list[list[tuple[str, str, date, str]]] = []
        for pk, county, life in self.made:
            if life is None:
                continue
            for _n in range(self.poisson(per_project)):
                problem, timeline = self.problem(pk, county, self.first_day + timedelta(days=rng.randrange(days)))
                problems.append(problem)
                timelines.append(timeline)
        written = 0
        for start in range(0, len(problems), self.o.batch):
            batch = self.bulk(Problem, problems[start:start + self.o.batch])
            events = [ProblemEvent(problem=problem, kind=kind, state=state, date=day, text=text,
                                   # the county's steps are its clerk's; the lead unit's and the job's, unnamed
                                   actor_id=problem.raised_by_id if kind in RAISER_STEPS else None,
                                   unit_id=problem.raiser_unit_id if kind in RAISER_STEPS else problem.lead_unit_id)
                      for problem, timeline in zip(batch, timelines[start:start + self.o.batch], strict=True)
                      for kind, state, day, text in timeline]
            self.bulk(ProblemEvent, events)
            written += len(batch) + len(events)
        return written

    def poisson(self, mean: float) -> int:
        """A count drawn from a Poisson distribution (Knuth's method, for the small means here)."""
        limit, n, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            n += 1
            product *= self.rng.random()
        return n

    def problem(self, project_id: int, county: Region, raised: date) -> tuple[Problem, list[tuple[str, str, date, str]]]:
        """One problem and its timeline ((kind, state after, date, text)), as it stands at the span's end."""
        rng, end = self.rng, self.until_day
        city = county.parent
        assert city is not None  # (a county lies in a city: ``write_frame``)
        category, (title, department) = rng.choice(list(PROBLEMS.items()))
        clerk = self.clerk[county.pk]
        lead = (self.unit(county, f"{county.name}人民政府") if department is None
                else self.unit(city, f"{city.name}{department}"))
        source = rng.choices(list(PROBLEM_SOURCES), weights=list(PROBLEM_SOURCES.values()))[0]
        meetings = [m for m in self.meetings.get(city.pk, []) if m.date <= raised][-1:]
        problem = Problem(project_id=project_id, region=county, source=source, category=category,
                          title=rng.choice(title), description="", raised_on=raised, raised_by=clerk,
                          raiser_unit_id=clerk.unit_id, meeting=meetings[0] if source == "meeting" and meetings else None,
                          state=Problem.State.NEW)
        timeline = [("raised", "new", raised, "")]
        if raised > end - timedelta(days=3) and rng.random() < 0.5:
            return problem, timeline  # raised days ago: still awaiting assignment
        deadline = raised + timedelta(days=rng.choice([10, 15, 20, 30, 45, 60]))
        problem.lead_unit, problem.deadline, problem.state, problem.version = lead, deadline, "in_progress", 2
        timeline.append(("assigned", "in_progress", raised, f"牵头单位：{lead.name}；办理时限：{deadline}"))
        replied = raised + timedelta(days=max(1, int((deadline - raised).days * rng.uniform(0.3, 1.4))))
        if replied <= end:
            problem.state, problem.version = "replied", 3
            timeline.append(("replied", "replied", replied, "已协调解决"))
            if rng.random() < 0.1 and replied + timedelta(days=3) <= end:  # returned once, replied again
                timeline += [("returned", "in_progress", replied + timedelta(days=2), "问题未彻底解决，请继续办理"),
                             ("replied", "replied", replied + timedelta(days=3), "已彻底解决")]
                replied += timedelta(days=3)
                problem.version += 2
            signed = replied + timedelta(days=rng.randint(1, 10))
            if signed <= end:
                problem.state, problem.version = "closed", problem.version + 1
                problem.signed_off_by = clerk
                problem.signed_off_at = timezone.make_aware(datetime.combine(signed, clock(10, 0)))
                timeline.append(("signed_off", "closed", signed, ""))
            return problem, timeline
        if deadline < end:  # not replied, past its deadline: chased, and some escalated to the city
            problem.overdue_since, problem.version = deadline + timedelta(days=1), problem.version + 1
            timeline.append(("supervised", "in_progress", deadline + timedelta(days=1), "已超过办理时限，请抓紧办理"))
            escalation = deadline + timedelta(days=15)
            if escalation <= end and rng.random() < 0.2:
                problem.state, problem.escalated_to, problem.overdue_since = "escalated", city, None
                problem.escalation_deadline, problem.version = escalation + timedelta(days=21), problem.version + 1
                timeline.append(("escalated", "escalated", escalation, f"提级至{city.name}"))
        return problem, timeline

    # --- assessment (考核排名) -------------------------------------------------------------------
    def write_schemes(self) -> int:
        """Each city's assessment scheme of the last year (the demo's: ``demo.assessment.install``),
        no period taken yet: ``keyprojects bench --only ranking`` takes and times one."""
        from keyprojects.demo import assessment

        for city in self.cities:
            assessment.install(city, self.years[-1])
        return len(self.cities)

    # --- approvals (前期手续) -------------------------------------------------------------------
    def write_catalogues(self) -> int:
        """Each city's catalogue: the default one (``catalogue.DEFAULT``), its issuers found among
        the city's departments as ``approvals.services.install_catalogue`` finds them; a city that
        has one already (a demo city) keeps its own."""
        departments: dict[int, list[Unit]] = defaultdict(list)
        for unit in Unit.objects.filter(region__in=self.cities, kind=Unit.Kind.DEPARTMENT).order_by("name"):
            departments[unit.region_id].append(unit)
        have = set(ApprovalItem.objects.filter(region__in=self.cities).values_list("region_id", flat=True))
        items: list[ApprovalItem] = []
        for city in self.cities:
            if city.pk in have:
                continue
            for order, entry in enumerate(catalogue.DEFAULT, start=1):
                issuer = next((u for u in departments[city.pk] if any(word in u.name for word in entry.keywords)), None)
                items.append(ApprovalItem(
                    region=city, code=entry.code, name=entry.name, issuer_name=entry.issuer, issuer=issuer,
                    duration=entry.duration, validity_months=entry.validity_months, paths=list(entry.paths),
                    project_types=list(entry.types), min_investment=entry.min_investment, order=order * 10))
        self.bulk(ApprovalItem, items)
        by_code = {(item.region_id, item.code): item for item in ApprovalItem.objects.filter(region__in=self.cities)}
        waits = 0
        for item in items:  # (through the relation: each a recorded change of the item, as on its page)
            depends = next(e.depends for e in catalogue.DEFAULT if e.code == item.code)
            if depends:
                item.depends_on.set([by_code[(item.region_id, code)] for code in depends])
                waits += len(depends)
        return len(items) + waits

    def write_approvals(self) -> int:
        """Each project new (新开工) in a plan year of the span is scheduled back from its start (the
        plan's start, else the 15th of its planned start month; the latest such year for a project
        that slipped), and its items dated as of the span's last day: all obtained before the start
        for a project that started; for one still waiting, most of those due a fortnight ago and
        more, the rest late."""
        rng = self.rng
        made = {pk: county for pk, county, life in self.made if life is not None}
        targets: dict[int, tuple[date, date | None]] = {}
        rows: dict[int, tuple[str, str, Decimal]] = {}
        plans = (AnnualPlan.objects.filter(project__region__path__startswith=self.province.path, year__in=self.years,
                                           nature=Nature.NEW)
                 .order_by("year").values_list("project_id", "year", "started_on", "planned_start_month",
                                               "project__project_type", "project__investment_nature",
                                               "project__total_investment"))
        for pk, year, started_on, month, ptype, nature, total in plans.iterator(chunk_size=self.o.batch):
            if pk not in made:
                continue  # (a demo city's project)
            targets[pk] = (started_on or date(year, month or 9, 15), started_on)
            rows[pk] = (ptype, nature, total)
        catalogues: dict[int, list[ApprovalItem]] = defaultdict(list)
        for item in ApprovalItem.objects.filter(region__in=self.cities, active=True).prefetch_related("depends_on"):
            catalogues[item.region_id].append(item)
        # The nodes once per city; a schedule once per city, set of items and start day.
        nodes = {city: {i.pk: backward.Node(i.duration, frozenset(d.pk for d in i.depends_on.all())) for i in items}
                 for city, items in catalogues.items()}
        slots: dict[tuple[int, frozenset[int], date], dict[int, backward.Slot]] = {}
        written = 0
        ids = sorted(targets)
        for start in range(0, len(ids), self.o.batch):
            schedules: list[ApprovalSchedule] = []
            approvals: list[ProjectApproval] = []
            for pk in ids[start:start + self.o.batch]:
                ptype, nature, total = rows[pk]
                project = Project(pk=pk, project_type=ptype, investment_nature=nature, total_investment=total)
                city = city_of(made[pk])
                target, started_on = targets[pk]
                path = default_path(project)
                items = {i.pk: i for i in catalogues[city.pk] if i.applies_to(project, path)}
                key = (city.pk, frozenset(items), target)
                if key not in slots:
                    slots[key] = backward.schedule(nodes[city.pk], set(items), target)
                schedules.append(ApprovalSchedule(project_id=pk, path=path, target_start=target, scheduled_at=self.now))
                for item_pk, slot in slots[key].items():
                    approval = ProjectApproval(project_id=pk, item=items[item_pk], issuer_id=items[item_pk].issuer_id,
                                               planned_from=slot.starts, planned_on=slot.due, critical=slot.critical)
                    approval.obtained_on = self.obtained(slot.due, started_on)
                    if approval.obtained_on is not None:
                        approval.valid_until = approval.lapses_on()
                        approval.number = (f"{city.name[:2]}{ISSUER_PREFIX.get(approval.item.code, '审批')}"
                                           f"〔{approval.obtained_on.year}〕{rng.randint(1, 380)}号")
                        if approval.issuer_id and rng.random() < 0.8:
                            approval.confirmed_at = timezone.make_aware(
                                datetime.combine(approval.obtained_on, clock(rng.randint(9, 17), 0)))
                    approvals.append(approval)
            self.bulk(ApprovalSchedule, schedules)
            self.bulk(ProjectApproval, approvals)
            written += len(schedules) + len(approvals)
        return written

    def obtained(self, due: date, started_on: date | None) -> date | None:
        """When an item due on ``due`` was obtained, as of the span's last day (None: not yet)."""
        rng, end = self.rng, self.until_day
        near = due + timedelta(days=rng.randint(-20, 6))  # most arrive a little early
        if started_on is not None:  # started: everything in hand before the start
            return min(near, started_on - timedelta(days=1))
        if due <= end - timedelta(days=14) and rng.random() < 0.85:
            return min(near, end)
        return None

    # --- warnings (预警) ------------------------------------------------------------------------
    def write_warning_rules(self) -> int:
        """Each city's default rule set and Dingxi's dated start targets in the span's last year,
        as the demo gives its cities (``demo.alerts``): through the services, a few rows a city.
        A city that has rules already (a demo city) keeps its own."""
        have = set(WarningRule.objects.filter(region__in=self.cities).values_list("region_id", flat=True))
        year, written = self.years[-1], 0
        self.warned = [city for city in self.cities if city.pk not in have]
        for city in self.warned:
            written += len(alerts.create_default_rules(SYSTEM, city))
            for by_date, rate, note in DINGXI_TARGETS:
                alerts.save_target(SYSTEM, city, None, {"year": year, "by_date": by_date.replace(year=year),
                                                        "rate": rate, "note": note})
                written += 1
        self.counts["warningrule"] += written - 2 * len(self.warned)
        self.counts["starttarget"] += 2 * len(self.warned)
        return written

    def write_warnings(self) -> int:
        """The daily job's first run (``alerts.services.evaluate``) in the cities given rules here,
        on the day the bench looks at it: their warnings opened and the units told. (A demo city
        keeps its warnings of its own date.)"""
        opened = sum(alerts.evaluate(day_after(self.o.until), city)["opened"] for city in self.warned)
        self.counts["warning"] += opened
        return opened

    # --- open data (公开数据) -------------------------------------------------------------------
    def write_publications(self) -> int:
        """Each city publishes the largest government-invested projects of the span's last year
        (``demo.opendata.PUBLISHED`` of them, as the demo does), through the service."""
        from keyprojects.demo.opendata import publish

        written = sum(publish(city, date(self.years[-1], 12, 31)) for city in self.cities)
        self.counts["publication"] += written
        return written

    # --- task lists (任务清单) ----------------------------------------------------------------
    def write_tasks(self) -> int:
        """Each city's task list of the span's last year: 14 areas of three or four tasks, led by
        its departments and helped by two of its counties, due at the end of a quarter; of those
        due by the span's end three in four done on time, one in eight late, the rest overdue;
        an update each for what was reported."""
        rng, year = self.rng, self.years[-1]
        departments: dict[int, list[Unit]] = defaultdict(list)
        governments: dict[int, list[Unit]] = defaultdict(list)
        for u in Unit.objects.filter(region__path__startswith=self.province.path, kind__in=[
                Unit.Kind.DEPARTMENT, Unit.Kind.GOVERNMENT]).select_related("region"):
            if u.kind == Unit.Kind.DEPARTMENT and u.region.level == Region.Level.PREFECTURE:
                departments[u.region_id].append(u)
            elif u.kind == Unit.Kind.GOVERNMENT and u.region.level == Region.Level.COUNTY:
                governments[u.region.parent_id].append(u)  # type: ignore[index]  # a county has its city
        areas = self.bulk(Area, [Area(region=city, year=year, number=n, name=name)
                                 for city in self.cities for n, name in enumerate(TASK_AREAS, 1)])
        tasks: list[Task] = []
        for area in areas:
            for n in range(1, rng.choice([3, 3, 3, 4]) + 1):
                deadline = date(year, rng.choice([3, 6, 9, 12]), 28)
                done: date | None = None
                if deadline <= self.until_day:
                    luck = rng.random()
                    done = (deadline - timedelta(days=rng.randint(0, 25)) if luck < 0.75
                            else deadline + timedelta(days=rng.randint(1, 25)) if luck < 0.875 else None)
                elif rng.random() < 0.15:
                    done = self.first_day + timedelta(days=rng.randrange(max(1, (self.until_day - self.first_day).days)))
                if done is not None and (done > self.until_day or done.year != year):
                    done = None
                tasks.append(Task(area=area, region_id=area.region_id, year=year, number=n,
                                  title=f"{area.name}重点任务{n}", lead_unit=rng.choice(departments[area.region_id]),
                                  leader=rng.choice(self.leaders[area.region_id][:6]), deadline=deadline,
                                  state=Task.State.DONE if done else Task.State.IN_PROGRESS, completed_on=done))
        tasks = self.bulk(Task, tasks)
        for task in tasks:
            counties = governments[task.region_id]
            task.co_units.add(*rng.sample(counties, min(2, len(counties))))  # (recorded in its history)
        updates = [Update(task=task, on=task.completed_on or min(self.until_day, date(year, 12, 31)),
                          text="按计划推进" if task.completed_on is None else "已完成", reports_done=task.completed_on is not None)
                   for task in tasks]
        self.bulk(Update, updates)
        return len(areas) + len(tasks) + len(updates)

    # --- investment attraction (招商引资) ---------------------------------------------------------
    def write_attraction(self) -> int:
        """Each city's events (~75 a year) over the span and leads (~300 a year, found in the city
        and its counties) over the span and the half year before it, each lead moved through the stages on rising days as far as
        the span's end lets it, with its agreements and, once landed, its funds in place by
        month. A landed lead is one of the county's enterprise projects (linked, so it is counted
        once), as landing registers it."""
        rng, start, end = self.stream_rng, self.first_day, self.until_day
        share = len(self.months) / 12
        pool: dict[int, list[tuple[int, str, Decimal, date | None]]] = defaultdict(list)
        made = {pk for pk, _county, life in self.made if life is not None}
        for pk, region_id, name, total, started in (
                Project.objects.filter(region__path__startswith=self.province.path, project_type="industry",
                                       investment_nature="enterprise", attraction_lead__isnull=True)
                .order_by("pk").values_list("pk", "region_id", "name", "total_investment", "actual_start")):
            if pk in made:
                pool[region_id].append((pk, name, total, started))
        for projects in pool.values():
            rng.shuffle(projects)
        counties: dict[int, list[Region]] = defaultdict(list)
        for county in self.counties:
            counties[county.parent_id].append(county)  # type: ignore[index]  # a county has its city
        events: list[Event] = []
        for city in self.cities:
            commerce = self.unit(city, f"{city.name}商务局")
            for n in range(1, max(1, round(EVENTS_PER_YEAR * share)) + 1):
                kind = rng.choices(list(EVENT_KINDS), weights=list(EVENT_KINDS.values()))[0]
                industry = rng.choice(list(CHAINS))
                region = city if rng.random() < 0.4 else rng.choice(counties[city.pk])
                where = rng.choice(OUT_PLACES)
                title = EVENT_KINDS_TITLES[kind].format(place=where, industry=industry, city=region.name, n=n,
                                                         co=rng.choice(INVESTOR_WORDS), fair=rng.choice(FAIRS))
                events.append(Event(
                    region=region, kind=kind, title=title, date=start + timedelta(days=rng.randrange((end - start).days + 1)),
                    place=where if kind in ("visit_out", "fair") else "线上" if kind == "online" else region.name,
                    leader=rng.choice(self.leaders[city.pk][:8]) if rng.random() < 0.8 else None,
                    unit=commerce if region == city else self.unit(region, f"{region.name}人民政府"),
                    note=f"洽谈对接企业 {rng.randint(2, 15)} 家"))
        events = self.bulk(Event, events)
        by_city: dict[int, list[Event]] = defaultdict(list)
        for event in sorted(events, key=lambda e: e.date):
            by_city[self.city_of_region(event.region).pk].append(event)

        # the ledger also carries leads found in the half year before the span, still followed in it
        first_found = start - timedelta(days=LEAD_HEAD_START)
        leads: list[Lead] = []
        timelines: list[list[tuple[str, date]]] = []
        for city in self.cities:
            commerce = self.unit(city, f"{city.name}商务局")
            for _n in range(max(1, round(LEADS_PER_YEAR * (share + LEAD_HEAD_START / 365)))):
                found = first_found + timedelta(days=rng.randrange((end - first_found).days + 1))
                goal = rng.choices(list(LEAD_GOALS), weights=list(LEAD_GOALS.values()))[0]
                region = city if rng.random() < 0.2 else rng.choice(counties[city.pk])
                project = None
                if goal in (LeadStep.LANDED, LeadStep.OPERATING):
                    if region == city:
                        region = rng.choice(counties[city.pk])
                    project = pool[region.pk].pop() if pool[region.pk] else None
                    if project is None:
                        goal = LeadStep.SIGNED
                industry = rng.choice(list(CHAINS))
                chain = rng.choice(CHAINS[industry])
                investor = f"{rng.choice(INVESTOR_WORDS)}{rng.choice(INVESTOR_SUFFIXES)}"
                origin = rng.choices([Origin.OUT_OF_PROVINCE, Origin.OUT_OF_CITY, Origin.LOCAL], [6, 3, 1])[0]
                name = project[1] if project else (f"{investor[:2]}{region.stem}{chain}"
                                                   f"{rng.choice(LEAD_SUFFIXES)}")
                amount = project[2] if project else money(
                    int(min(max(rng.lognormvariate(9.8, 1.0), 1000), 1_000_000)) // 100 * 10_000)
                source = [e for e in by_city[city.pk] if e.date <= found]  # (none before the span)
                lead = Lead(region=region, name=name, investor=investor, origin=origin,
                            investor_place=rng.choice(OUT_PLACES) if origin == Origin.OUT_OF_PROVINCE
                            else f"{self.province.name}" if origin == Origin.OUT_OF_CITY else "",
                            industry=industry, chain=chain, amount=amount,
                            event=rng.choice(source[-20:]) if source and rng.random() < 0.6 else None,
                            unit=commerce if region == city or rng.random() < 0.5
                            else self.unit(region, f"{region.name}人民政府"),
                            leader=rng.choice(self.leaders[city.pk][:8]), found_on=found,
                            project_id=project[0] if project else None)
                timeline = [(LeadStep.CLUE.value, found)]
                steps = STEPS_TO[goal]
                day = found
                for step in steps:
                    low, high = STEP_DAYS[step]
                    day = day + timedelta(days=rng.randint(low, high))
                    if day > end:
                        break
                    timeline.append((step, day))
                if goal == LeadStep.DEAD and timeline[-1][0] != LeadStep.DEAD:
                    timeline = timeline[:1]  # (it had not died by the span's end: still a clue)
                lead.stage = timeline[-1][0]
                for step, on in timeline[1:]:
                    setattr(lead, STEP_FIELDS[step], on)
                if lead.stage == LeadStep.DEAD:
                    lead.death_reason = rng.choice(DEATH_REASONS)
                if lead.landed_on:
                    lead.registered_on = lead.land_on = lead.landed_on
                    started = project[3] if project else None
                    lead.started_on = started if started and lead.landed_on <= started <= end else None
                else:
                    lead.project_id = None
                    if project is not None:  # (landing fell after the span's end: the project stays free)
                        pool[region.pk].insert(0, project)
                leads.append(lead)
                timelines.append(timeline)
        leads = self.bulk(Lead, leads)
        stages: list[LeadStage] = []
        agreements: list[Agreement] = []
        funds: list[FundsReport] = []
        for lead, timeline in zip(leads, timelines, strict=True):
            previous = ""
            for step, on in timeline:
                stages.append(LeadStage(lead=lead, from_stage=previous, to_stage=step, date=on,
                                        note="登记线索" if step == LeadStep.CLUE else
                                        lead.death_reason if step == LeadStep.DEAD else ""))
                previous = step
                if step in AGREEMENT_OF:
                    agreements.append(Agreement(lead=lead, kind=AGREEMENT_OF[step], signed_on=on, amount=lead.amount))
            if lead.landed_on:
                funds += self.funds_in_place(lead, rng)
        self.bulk(LeadStage, stages)
        self.bulk(Agreement, agreements)
        self.bulk(FundsReport, funds)
        self.leads_of_city = defaultdict(list)
        for lead in leads:
            self.leads_of_city[self.city_of_region(lead.region).pk].append(lead)
        return len(events) + len(leads) + len(stages) + len(agreements) + len(funds)

    def funds_in_place(self, lead: Lead, rng: random.Random) -> list[FundsReport]:
        """A landed lead's funds in place each month of the span from its landing, a few per cent
        of its amount a month (never more than the amount in all)."""
        assert lead.landed_on is not None
        rows, left = [], lead.amount
        for year, month in self.months:
            if (year, month) < (lead.landed_on.year, lead.landed_on.month) or left <= 0:
                continue
            amount = min(left, (lead.amount * Decimal(rng.uniform(0.02, 0.08))).quantize(Decimal("0.01")))
            left -= amount
            rows.append(FundsReport(lead=lead, year=year, month=month, amount=amount,
                                    out_of_province=amount if lead.origin == Origin.OUT_OF_PROVINCE else Decimal(0),
                                    unit_id=lead.unit_id))
        return rows

    def city_of_region(self, region: Region) -> Region:
        return region if region.level == Region.Level.PREFECTURE else city_of(region)

    def write_packages(self) -> int:
        """Each city leader's package (包抓 "1+1托4") of the span's last year: a lead department, the
        projects the leader packages (在建 or 前期), a few enterprises of the city and the leads the
        leader follows. A leader who has a package that year already (a demo city's) keeps it."""
        rng, year = self.stream_rng, self.years[-1]
        have = set(Package.objects.filter(year=year, leader__region__in=self.cities).values_list("leader_id", flat=True))
        departments: dict[int, list[Unit]] = defaultdict(list)
        for unit in Unit.objects.filter(region__in=self.cities, kind=Unit.Kind.DEPARTMENT).order_by("name"):
            departments[unit.region_id].append(unit)
        packages = [Package(region=city, year=year, leader=leader,
                            lead_unit=departments[city.pk][i % len(departments[city.pk])])
                    for city in self.cities for i, leader in enumerate(self.leaders[city.pk])
                    if leader.pk not in have and departments[city.pk]]
        packages = self.bulk(Package, packages)
        by_leader = {p.leader_id: p for p in packages}
        items: list[PackageItem] = []
        seen: set[tuple[int, int]] = set()
        for project_id, leader_id, stage in (Project.leaders.through.objects
                                             .filter(leader_id__in=by_leader, project__region__path__startswith=self.province.path)
                                             .order_by("project_id").values_list("project_id", "leader_id", "project__stage")):
            if stage in (Stage.PREPARATION, Stage.CONSTRUCTION) and (leader_id, project_id) not in seen:
                seen.add((leader_id, project_id))
                items.append(PackageItem(package=by_leader[leader_id], project_id=project_id,
                                         kind=PackageItem.Kind.PREWORK if stage == Stage.PREPARATION
                                         else PackageItem.Kind.PROJECT))
        for package in packages:
            city = package.region
            enterprises = [e for county in self.counties if county.parent_id == city.pk
                           for e in self.enterprises[county.pk]]
            for enterprise in rng.sample(enterprises, min(len(enterprises), rng.randint(2, 5))):
                items.append(PackageItem(package=package, kind=PackageItem.Kind.ENTERPRISE, enterprise=enterprise))
            followed = [lead for lead in getattr(self, "leads_of_city", {}).get(city.pk, [])
                        if lead.leader_id == package.leader_id and lead.stage != LeadStep.DEAD]
            for lead in followed[:10]:
                items.append(PackageItem(package=package, kind=PackageItem.Kind.LEAD, lead=lead))
        self.bulk(PackageItem, items)
        return len(packages) + len(items)

    # --- funding rounds (资金申报) ----------------------------------------------------------------
    def write_funding(self) -> int:
        """Each city's rounds in each year of the span, two to four a kind (专项债券, 中央预算内投资,
        省级补助), those whose applications fall in the span; each county proposing tens of its
        plan projects to each, screened ten days after the deadline, the province's result a month
        or two later, the money issued and spent after it, each step only as far as the span's end."""
        rng, end = self.stream_rng, self.until_day
        have = set(Round.objects.filter(region__in=self.cities).values_list("region_id", "kind", "year", "batch"))
        rounds: list[Round] = []
        for city in self.cities:
            for year in self.years:
                for kind, (conditions, _number) in ROUND_KINDS.items():
                    n = rng.randint(2, 4)
                    months = sorted(rng.sample(range(2, 12), n))
                    for i, month in enumerate(months, 1):
                        deadline = date(year, month, 20)
                        batch = f"第{'一二三四'[i - 1]}批"
                        if not (self.first_day - timedelta(days=45) <= deadline <= end + timedelta(days=30)) \
                                or (city.pk, kind, year, batch) in have:
                            continue
                        rounds.append(Round(region=city, kind=kind, year=year, batch=batch, deadline=deadline,
                                            note=f"{year}年{Round.Kind(kind).label}项目申报（{batch}）", **conditions))
        rounds = self.bulk(Round, rounds)
        nature = dict(Project.objects.filter(region__path__startswith=self.province.path)
                      .values_list("pk", "investment_nature"))
        totals = dict(Project.objects.filter(region__path__startswith=self.province.path)
                      .values_list("pk", "total_investment"))
        planned: dict[tuple[int, int], list[int]] = defaultdict(list)  # (county, year) -> plan projects
        for pk, county, life in self.made:
            if life is not None:
                for year in life.planned:
                    planned[(county.pk, year)].append(pk)
        counties: dict[int, list[Region]] = defaultdict(list)
        for county in self.counties:
            counties[county.parent_id].append(county)  # type: ignore[index]  # a county has its city
        province = self.province.name[0]
        applications: list[Application] = []
        for n, round_ in enumerate(rounds, 1):
            city = round_.region
            for county in counties[city.pk]:
                candidates = planned.get((county.pk, round_.year), [])
                if round_.kind == Round.Kind.SPECIAL_BONDS:  # bonds pay for government projects first
                    candidates = sorted(candidates, key=lambda pk: nature.get(pk) != "government")
                    candidates = candidates[:max(len(candidates) // 2, 1)]
                k = min(rng.randint(10, 40), max(1, len(candidates) // 3), len(candidates))
                for pk in rng.sample(candidates, k):
                    proposed = round_.deadline - timedelta(days=rng.randint(0, 25))
                    if proposed > end:
                        continue
                    total = int(totals[pk])
                    requested = Decimal(max(100, min(total, round(total * rng.uniform(0.1, 0.35), -2))))
                    a = Application(round=round_, project_id=pk, requested=requested, proposed_on=proposed,
                                    proposed_by=self.clerk[county.pk])
                    self.judge(a, round_, n, province, city, rng)
                    applications.append(a)
        self.bulk(Application, applications)
        return len(rounds) + len(applications)

    def judge(self, a: Application, round_: Round, n: int, province: str, city: Region, rng: random.Random) -> None:
        """Screening, the province's result, issuance and spending, as far as the span's end."""
        end, year = self.until_day, round_.year
        screened = round_.deadline + timedelta(days=rng.randint(5, 15))
        if screened > end:
            return
        a.screened_on = screened
        if rng.random() < 0.12:
            a.state, a.screening_note = Application.State.NOT_RECOMMENDED, rng.choice(NOT_RECOMMENDED)
            return
        a.state = Application.State.RECOMMENDED
        approved = round_.deadline + timedelta(days=rng.randint(30, 60))
        if approved > end:
            return
        if rng.random() < 0.3:
            a.state = Application.State.REJECTED
            return
        a.state, a.approved_on = Application.State.APPROVED, approved
        a.approved = min(a.requested, Decimal(max(100, round(int(a.requested) * rng.uniform(0.5, 1.0), -2))))
        a.approval_number = f"{province}{ROUND_KINDS[round_.kind][1]}〔{year}〕{n % 90 + 1}号"
        issued = approved + timedelta(days=rng.randint(10, 45))
        if issued > end or rng.random() < 0.1:
            return
        a.issued, a.issued_on = a.approved, issued
        a.issue_number = f"{city.name[:2]}{ROUND_KINDS[round_.kind][1]}〔{year}〕{n % 90 + 1}号"
        if issued + timedelta(days=30) <= end:
            a.spent_on = min(end, issued + timedelta(days=rng.randint(30, 200)))
            a.spent = a.issued if rng.random() < 0.25 else (a.issued * Decimal(rng.uniform(0.2, 1.0))).quantize(
                Decimal("0.01"))

    # --- replace --------------------------------------------------------------------------
    def delete_existing(self) -> int:
        """Delete the province's synthetic rows through the ORM (each deletion recorded)."""
        deleted = 0
        # attraction and funding first: an application protects its project, a lead its unit
        streams: tuple[tuple[type[Model], str], ...] = (
            (Application, "project__region"), (Round, "region"), (PackageItem, "package__region"),
            (Package, "region"), (Lead, "region"), (Event, "region"))
        for stream, within in streams:
            deleted += created_here(stream).filter(**{f"{within}__path__startswith": self.province.path}).delete()[0]
        projects = synthetic_projects(self.province)
        ids = list(projects.values_list("pk", flat=True))
        for start in range(0, len(ids), 2000):
            deleted += Project.objects.filter(pk__in=ids[start:start + 2000]).delete()[0]
        rules = created_here(WarningRule).filter(region__path__startswith=self.province.path)
        deleted += Warning.objects.filter(rule__in=rules).delete()[0]  # (a region's target warnings: no project)
        for model, path in ((Task, "region"), (Area, "region"), (Problem, "region"), (Meeting, "region"),
                            (ApprovalItem, "region"), (ReportingPeriod, "region"), (WarningRule, "region"), (StartTarget, "region"),
                            (User, "unit__region"), (Leader, "region"), (Unit, "region")):
            rows = created_here(model).filter(**{f"{path}__path__startswith": self.province.path})
            if model is Unit:
                rows = rows.filter(owned_projects__isnull=True, responsible_projects__isnull=True, users__isnull=True)
            if model is ReportingPeriod:
                rows = rows.filter(reports__isnull=True)
            deleted += rows.delete()[0]
        return deleted


def created_here(model: type[M]) -> QuerySet[M]:
    """Rows of ``model`` this generator created (their creation is in the audit trail)."""
    history = model.history  # type: ignore[attr-defined]  # simple-history's manager, on every audited model
    ids = history.filter(history_type="+", history_detail=DETAIL).values(model._meta.pk.attname)
    return model._default_manager.filter(pk__in=ids)


def city_of(county: Region) -> Region:
    """The city a county of the synthetic province lies in (read with it: ``select_related``)."""
    city = county.parent
    if city is None:
        raise ValueError(f"{county.name} lies in no city")
    return city


def synthetic_projects(province: Region) -> QuerySet:
    return created_here(Project).filter(region__path__startswith=province.path)


def generate(options: Options, out: Callable[[str], None] = lambda s: None) -> dict[str, Any]:
    return SyntheticProvince(options, out).run()
