"""Investment attraction (招商引资) and the "1+1托4" packages of the demo cities.

Zhangye, 2023, as of the article's date (2023-04-07): 75 events, 56 intentions, 31 framework
agreements, 234.48 亿元 signed (the 31 framework agreements and 9 formal contracts of leads
that signed their framework agreement in 2022). Qian'an, 2022: 42 projects newly signed by the
article's date. Dingxi, 2022: the packages of its 30 city leaders, with 75 departments, the 49
projects under construction and 26 in preparation they package (the demo's own), 72 key
enterprises and 82 attraction leads. Investors, dates and every split not published are invented
but plausible, and the same on every run. A landed lead is linked to a library project the city's
demo already registered (its name and total are the lead's), so nothing is counted twice.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from keyprojects.accounts.models import Leader, Unit
from keyprojects.attraction.models import (
    Agreement,
    Event,
    FundsReport,
    Lead,
    LeadStage,
    Origin,
    Package,
    PackageItem,
    Stage,
)
from keyprojects.core.bulk import save_in_bulk
from keyprojects.core.validation import Checked, validate
from keyprojects.projects.models import Project
from keyprojects.projects.models import Stage as ProjectStage
from keyprojects.regions.models import Region

from .common import day_between, split_exact, unit

# Published figures (万元 for amounts).
ZHANGYE = {"events": 75, "intentions": 56, "framework_agreements": 31, "signed_amount": 2_344_800}
ZHANGYE_CONTRACTS = 9  # formal contracts of 2023 whose framework agreement is of 2022 (not published)
QIANAN_SIGNED = 42
DINGXI_PACKAGES = {"leaders": 30, "departments": 75, "projects": 49, "prework_projects": 26, "enterprises": 72,
                   "attraction_projects": 82}

PROVINCES = ["广东省深圳市", "上海市", "江苏省苏州市", "浙江省杭州市", "北京市", "山东省济南市", "福建省厦门市",
             "四川省成都市", "陕西省西安市", "河南省郑州市", "天津市", "湖北省武汉市"]
CO_WORDS = ["中能", "华晟", "远景", "隆基", "金风", "正泰", "晶科", "天合", "新希望", "中粮", "北大荒", "隆平",
            "登海", "首农", "华润", "康美", "九州通", "天士力", "步长", "以岭", "同仁堂", "河钢", "首钢", "中信重工",
            "三一", "徐工", "中联", "格力", "海螺", "中建材"]
DEATH_REASONS = ["投资方资金链紧张，暂缓对外投资", "用地规划调整，项目选址无法落实", "投资方战略调整，转投他地",
                 "能耗指标不足，项目无法落地"]


@dataclass(frozen=True)
class City:
    """What a city invests in: (industry, chain, lead name templates), where leads come from."""

    name: str
    year: int
    as_of: date
    industries: list[tuple[str, str, list[str]]]
    events: list[tuple[str, str, str]]  # (kind, title template, place)
    investment_unit: str  # the 招商 department following most leads


CITIES = {
    "张掖市": City("张掖市", 2023, date(2023, 4, 7), [
        ("新能源", "风光电", ["{co}{county}{n}万千瓦风光储一体化项目", "{co}{county}{n}兆瓦光伏发电项目"]),
        ("新能源", "储能", ["{co}{county}{n}兆瓦储能电站项目", "{co}{county}新型储能装备制造项目"]),
        ("现代农业", "玉米制种", ["{co}{county}{n}万亩玉米制种基地项目", "{co}{county}种子加工中心建设项目"]),
        ("现代农业", "肉牛养殖", ["{co}{county}{n}万头肉牛养殖及屠宰加工项目", "{co}{county}高原夏菜冷链物流项目"]),
        ("文旅", "文化旅游", ["{co}{county}丹霞文旅综合体项目", "{co}{county}祁连山生态康养度假区项目"]),
    ], [("visit_out", "赴{place}开展新能源产业招商推介", "{place}"), ("visit_in", "{co}考察团来张考察对接", "张掖市"),
        ("online", "张掖市“云招商”线上推介会（第{n}场）", "线上"), ("fair", "第六届进博会张掖市专场对接活动", "上海市"),
        ("visit_out", "赴{place}开展制种及农产品加工招商", "{place}")], "张掖市招商局"),
    "迁安市": City("迁安市", 2022, date(2022, 7, 15), [
        ("钢铁深加工", "精品钢材", ["{co}迁安{n}万吨高端冷轧板项目", "{co}迁安{n}万吨精密钢管项目"]),
        ("装备制造", "汽车零部件", ["{co}迁安汽车零部件产业园项目", "{co}迁安{n}万套轮毂生产线项目"]),
        ("装备制造", "智能装备", ["{co}迁安智能装备制造基地项目", "{co}迁安{n}台（套）冶金装备项目"]),
        ("新材料", "新材料", ["{co}迁安{n}万吨新材料项目", "{co}迁安碳基新材料产业园项目"]),
    ], [("visit_out", "赴{place}开展钢铁深加工产业招商", "{place}"), ("visit_in", "{co}来迁考察洽谈", "迁安市"),
        ("online", "迁安市重点产业链线上招商会（第{n}场）", "线上")], "迁安市商务局"),
    "定西市": City("定西市", 2022, date(2022, 4, 20), [
        ("马铃薯", "马铃薯精深加工", ["{co}{county}{n}万吨马铃薯全粉加工项目", "{co}{county}马铃薯脱毒种薯繁育基地项目"]),
        ("中医药", "中药材加工", ["{co}{county}{n}吨中药饮片加工项目", "{co}{county}中药材仓储物流园项目"]),
        ("新能源", "风光电", ["{co}{county}{n}兆瓦光伏发电项目", "{co}{county}{n}万千瓦风电项目"]),
        ("文旅", "文化旅游", ["{co}{county}渭河源文旅康养项目", "{co}{county}乡村旅游综合体项目"]),
    ], [("visit_out", "赴{place}开展中医药产业招商", "{place}"), ("visit_in", "{co}来定考察对接", "定西市"),
        ("fair", "第二十八届兰洽会定西市项目签约", "兰州市"), ("online", "定西市马铃薯产业线上招商推介（第{n}场）", "线上")],
        "定西市商务局"),
}
SIZES = [3, 5, 10, 20, 30, 50, 100]


class Attraction:
    """One city's events, leads and their agreements, stages and funds, written in bulk."""

    def __init__(self, city: Region, spec: City) -> None:
        self.city, self.spec = city, spec
        self.rng = random.Random(f"attraction:{spec.name}")
        self.checked = Checked()
        self.counties = list(Region.objects.filter(parent=city, level=Region.Level.COUNTY).order_by("code"))
        self.leaders = list(Leader.objects.filter(region=city).order_by("order", "pk"))
        self.unit = unit(spec.investment_unit, city, Unit.Kind.DEPARTMENT)
        govs = {u.region_id: u for u in Unit.objects.filter(region__in=self.counties, kind=Unit.Kind.GOVERNMENT)}
        self.county_units = {r.pk: govs.get(r.pk) or unit(f"{r.name}人民政府", r, Unit.Kind.GOVERNMENT)
                             for r in self.counties}
        self.names: set[str] = set()
        self.leads: list[Lead] = []
        self.agreements: list[Agreement] = []
        self.stages: list[LeadStage] = []
        self.funds: list[FundsReport] = []

    # --- events ----------------------------------------------------------------------------------
    def events(self, n: int) -> list[Event]:
        start, rng = date(self.spec.year, 1, 4), self.rng
        made = []
        for i in range(n):
            kind, title, place = self.spec.events[i % len(self.spec.events)]
            where = rng.choice(PROVINCES)
            words = {"place": where, "co": rng.choice(CO_WORDS) + "集团", "n": i + 1}
            region = self.city if i % 3 == 0 or not self.counties else self.counties[i % len(self.counties)]
            made.append(Event(region=region, kind=kind, title=title.format(**words), place=place.format(**words),
                              date=day_between(rng, start, self.spec.as_of),
                              leader=self.leaders[i % len(self.leaders)] if self.leaders else None,
                              unit=self.unit if region == self.city else self.county_units[region.pk],
                              note=f"洽谈对接企业 {rng.randint(2, 12)} 家"))
        for event in made:
            validate(event, self.checked)
        save_in_bulk(Event, made)
        return made

    # --- leads -------------------------------------------------------------------------------------
    def lead(self, found_on: date, events: list[Event], amount: int | None = None,
             project: Project | None = None) -> Lead:
        rng = self.rng
        industry, chain, templates = rng.choice(self.spec.industries)
        region = project.region if project is not None else (
            rng.choice(self.counties) if self.counties and rng.random() < 0.8 else self.city)
        name = project.name if project is not None else ""
        while not name or name in self.names:
            name = rng.choice(templates).format(co=rng.choice(CO_WORDS), county=region.name.removesuffix("区")
                                                .removesuffix("县"), n=rng.choice(SIZES))
        self.names.add(name)
        origin = rng.choices([Origin.OUT_OF_PROVINCE, Origin.OUT_OF_CITY, Origin.LOCAL], [6, 3, 1])[0]
        place = rng.choice(PROVINCES) if origin == Origin.OUT_OF_PROVINCE else "甘肃省兰州市" if origin == Origin.OUT_OF_CITY else ""
        source = [e for e in events if e.date <= found_on]
        investor = f"{name[:2]}{rng.choice(['新能源', '实业', '控股', '农业科技', '投资'])}有限公司"
        lead = Lead(region=region, name=name, investor=investor,
                    origin=origin, investor_place=place, industry=industry, chain=chain,
                    amount=Decimal(amount if amount is not None else rng.choice([8, 12, 20, 35, 50, 80, 120]) * 1000),
                    event=rng.choice(source) if source and rng.random() < 0.7 else None,
                    unit=self.unit if region == self.city or rng.random() < 0.5 else self.county_units[region.pk],
                    leader=self.leaders[len(self.leads) % len(self.leaders)] if self.leaders else None,
                    stage=Stage.CLUE, found_on=found_on, project=project)
        self.leads.append(lead)
        self.stages.append(LeadStage(lead=lead, from_stage="", to_stage=Stage.CLUE, date=found_on, note="登记线索"))
        return lead

    def reach(self, lead: Lead, stage: str, on: date, amount: Decimal | None = None) -> None:
        """``lead`` moved to ``stage`` on ``on`` (with its agreement at ``amount``)."""
        kinds = {Stage.INTENTION: Agreement.Kind.INTENTION, Stage.FRAMEWORK: Agreement.Kind.FRAMEWORK,
                 Stage.SIGNED: Agreement.Kind.CONTRACT}
        if stage in kinds:
            self.agreements.append(Agreement(lead=lead, kind=kinds[Stage(stage)], signed_on=on,
                                             amount=amount if amount is not None else lead.amount))
        fields = {Stage.TALKS: "talks_on", Stage.INTENTION: "intention_on", Stage.FRAMEWORK: "framework_on",
                  Stage.SIGNED: "signed_on", Stage.LANDED: "landed_on", Stage.OPERATING: "operating_on",
                  Stage.DEAD: "died_on"}
        setattr(lead, fields[Stage(stage)], on)
        self.stages.append(LeadStage(lead=lead, from_stage=lead.stage, to_stage=stage, date=on,
                                     note=lead.death_reason if stage == Stage.DEAD else ""))
        lead.stage = stage

    def through(self, lead: Lead, last: str, first: date, end: date) -> date:
        """Move ``lead`` through the stages after 线索 up to ``last``, on rising days in [first, end]."""
        order = [Stage.TALKS, Stage.INTENTION, Stage.FRAMEWORK, Stage.SIGNED]
        steps = order[:order.index(Stage(last)) + 1]
        days = sorted(day_between(self.rng, first, end) for _ in steps)
        for stage, day in zip(steps, days, strict=True):
            self.reach(lead, stage, day)
        return days[-1]

    def land(self, lead: Lead, signed: date, end: date) -> None:
        """落地 after signing: registered and given land; started if its project has started."""
        project = lead.project
        assert project is not None
        started = project.actual_start if project.actual_start and signed < project.actual_start <= end else None
        landed = day_between(self.rng, signed, min(end, started or end))
        lead.registered_on = lead.land_on = landed
        self.reach(lead, Stage.LANDED, landed)
        lead.started_on = started
        months = range(landed.month, end.month + 1) if landed.year == end.year else range(1, end.month + 1)
        for month in months:
            amount = (lead.amount * Decimal(self.rng.choice([4, 6, 8, 10])) / 100).quantize(Decimal("1"))
            self.funds.append(FundsReport(lead=lead, year=end.year, month=month, amount=amount,
                                          out_of_province=amount if lead.origin == Origin.OUT_OF_PROVINCE else 0,
                                          unit=lead.unit))

    def library(self, n: int, started_from: date, end: date) -> list[Project]:
        """Library projects of enterprises in the city that a landed lead may be: the unstarted
        ones in preparation and those started within the period, not taken by another lead."""
        base = Project.objects.filter(region__path__startswith=self.city.path, project_type=Project.Type.INDUSTRY,
                                      investment_nature=Project.InvestmentNature.ENTERPRISE,
                                      attraction_lead__isnull=True).order_by("total_investment", "pk")
        started = list(base.filter(stage=ProjectStage.CONSTRUCTION, actual_start__gte=started_from,
                                   actual_start__lte=end)[: (n + 1) // 2])
        waiting = list(base.filter(stage=ProjectStage.PREPARATION)[: n - len(started)])
        return (started + waiting)[:n]

    def write(self) -> None:
        for lead in self.leads:
            validate(lead, self.checked)
        save_in_bulk(Lead, self.leads)
        for rows in (self.stages, self.agreements, self.funds):
            for row in rows:
                row.lead_id = row.lead.pk
        save_in_bulk(LeadStage, self.stages)
        save_in_bulk(Agreement, self.agreements)
        save_in_bulk(FundsReport, self.funds)

    def filler(self, n: int, events: list[Event], start: date, end: date) -> None:
        """Leads still in talks or just found, and a few that died (with their reasons)."""
        for i in range(n):
            lead = self.lead(day_between(self.rng, start, end - timedelta(days=10)), events)
            if i % 5 == 4:
                lead.death_reason = DEATH_REASONS[i % len(DEATH_REASONS)]
                self.reach(lead, Stage.TALKS, lead.found_on + timedelta(days=3))
                self.reach(lead, Stage.DEAD, lead.found_on + timedelta(days=9))
            elif i % 2:
                self.reach(lead, Stage.TALKS, lead.found_on + timedelta(days=5))


def zhangye(city: Region) -> dict[str, int]:
    spec = CITIES["张掖市"]
    made = Attraction(city, spec)
    events = made.events(ZHANGYE["events"])
    start, end, rng = date(spec.year, 1, 1), spec.as_of, made.rng
    landed = made.library(5, start, end)
    rest = ZHANGYE["framework_agreements"] + ZHANGYE_CONTRACTS - len(landed)
    amounts = split_exact(ZHANGYE["signed_amount"] - int(sum(p.total_investment for p in landed)), rest, rng,
                          minimum=5_000, sigma=1.1)
    # 9 leads of 2022 signed in 2023 (5 of them landed, as library projects), 31 framework agreements
    # of leads whose intention is of 2023 too, 25 more intentions, and leads still in talks
    for i in range(ZHANGYE_CONTRACTS):
        project = landed[i] if i < len(landed) else None
        lead = made.lead(day_between(rng, date(2022, 3, 1), date(2022, 6, 30)), [], project=project,
                         amount=int(project.total_investment) if project else amounts.pop())
        made.through(lead, Stage.FRAMEWORK, lead.found_on + timedelta(days=7), date(2022, 11, 30))
        signed = day_between(rng, start, end - timedelta(days=20))
        made.reach(lead, Stage.SIGNED, signed)
        if project is not None:
            made.land(lead, signed, end)
    for i in range(ZHANGYE["intentions"]):
        lead = made.lead(day_between(rng, start, end - timedelta(days=30)), events,
                         amount=amounts.pop() if i < ZHANGYE["framework_agreements"] else None)
        last = Stage.FRAMEWORK if i < ZHANGYE["framework_agreements"] else Stage.INTENTION
        made.through(lead, last, lead.found_on + timedelta(days=1), end)
    assert not amounts
    made.filler(15, events, start, end)
    made.write()
    return {"events": len(events), "leads": len(made.leads)}


def qianan(city: Region) -> dict[str, int]:
    spec = CITIES["迁安市"]
    made = Attraction(city, spec)
    events = made.events(24)
    start, end, rng = date(spec.year, 1, 1), spec.as_of, made.rng
    landed = made.library(8, start, end)
    for i in range(QIANAN_SIGNED):
        project = landed[i] if i < len(landed) else None
        lead = made.lead(day_between(rng, date(2021, 10, 1), end - timedelta(days=40)), events, project=project,
                         amount=int(project.total_investment) if project else None)
        signed = made.through(lead, Stage.SIGNED, max(lead.found_on, date(2021, 12, 1)) + timedelta(days=1), end)
        if signed < start:  # (a contract of the year: moved into it)
            made.agreements[-1].signed_on = lead.signed_on = made.stages[-1].date = start + timedelta(days=i)
            signed = start + timedelta(days=i)
        if project is not None:
            made.land(lead, signed, end)
    for i in range(12):
        lead = made.lead(day_between(rng, start, end - timedelta(days=20)), events)
        made.through(lead, Stage.FRAMEWORK if i % 3 == 0 else Stage.INTENTION, lead.found_on + timedelta(days=1), end)
    made.filler(10, events, start, end)
    made.write()
    return {"events": len(events), "leads": len(made.leads)}


# 75 city departments of Dingxi: the 30 packages' lead departments and those helping them
DINGXI_DEPARTMENTS = [
    "发展和改革委员会", "工业和信息化局", "自然资源局", "住房和城乡建设局", "交通运输局", "水务局", "农业农村局",
    "生态环境局", "文体广电和旅游局", "卫生健康委员会", "中医药产业发展局", "商务局", "财政局", "教育局",
    "科学技术局", "公安局", "民政局", "司法局", "人力资源和社会保障局", "林业和草原局", "应急管理局", "审计局",
    "市场监督管理局", "统计局", "医疗保障局", "乡村振兴局", "能源局", "退役军人事务局", "人民政府国有资产监督管理委员会",
    "政务服务中心", "信访局", "机关事务管理局", "城市管理综合执法局", "地方金融监督管理局", "粮食和物资储备局",
    "供销合作社联合社", "气象局", "税务局", "邮政管理局", "公共资源交易中心", "住房公积金管理中心",
    "工商业联合会", "科学技术协会", "总工会", "妇女联合会", "残疾人联合会", "档案馆", "融媒体中心",
    "农业科学研究院", "马铃薯产业发展中心", "中药材产业发展中心", "经济合作局", "投资促进中心", "人民防空办公室",
    "医疗保障事务中心", "就业服务中心", "农村能源服务中心", "水土保持科学研究所", "公路事业发展中心",
    "交通运输综合行政执法支队", "不动产登记服务中心", "土地储备中心", "城乡规划设计院", "产品质量监督检验所",
    "疾病预防控制中心", "农业技术推广站", "畜牧兽医局", "草原工作站", "文物保护研究所", "旅游服务中心",
    "电子商务服务中心", "中小企业服务中心", "招商服务中心", "工业园区管理委员会", "物流园区管理委员会",
]


def dingxi(city: Region) -> dict[str, int]:
    """Dingxi's 82 attraction leads of 2022 and the 30 packages ("1+1托4") holding them."""
    spec = CITIES["定西市"]
    made = Attraction(city, spec)
    events = made.events(20)
    start, end, rng = date(spec.year, 1, 1), spec.as_of, made.rng
    landed = made.library(6, start, end)
    stages = [Stage.SIGNED] * 14 + [Stage.FRAMEWORK] * 14 + [Stage.INTENTION] * 22 + [Stage.TALKS] * 26
    for i in range(DINGXI_PACKAGES["attraction_projects"]):
        project = landed[i] if i < len(landed) else None
        lead = made.lead(day_between(rng, date(2021, 11, 1), end - timedelta(days=30)), events, project=project,
                         amount=int(project.total_investment) if project else None)
        last = Stage.SIGNED if project is not None else stages[(i - len(landed)) % len(stages)]
        signed = made.through(lead, last, lead.found_on + timedelta(days=1), end)
        if project is not None:
            made.land(lead, signed, end)
    made.write()
    packages = packages_of(city, spec.year, made.leads)
    return {"events": len(events), "leads": len(made.leads), "packages": packages}


def packages_of(city: Region, year: int, leads: list[Lead]) -> int:
    """A package per city leader: a lead department and one or two helping (75 in all), the
    projects the leader packages (by stage: 在建 or 前期), enterprises and leads in turn."""
    leaders = list(Leader.objects.filter(region=city).order_by("order", "pk"))
    departments = [unit(f"定西市{name}", city, Unit.Kind.DEPARTMENT) for name in DINGXI_DEPARTMENTS]
    if len(leaders) != DINGXI_PACKAGES["leaders"] or len(set(departments)) != DINGXI_PACKAGES["departments"]:
        raise ValueError("定西市演示数据：包抓领导或部门个数与报道不符")
    packages = [Package(region=city, year=year, leader=leader, lead_unit=departments[i])
                for i, leader in enumerate(leaders)]
    helping = departments[len(leaders):]  # 45 more: one or two to each package
    m2m = [(p, [helping[i].pk] + ([helping[i + len(leaders)].pk] if i + len(leaders) < len(helping) else []))
           for i, p in enumerate(packages)]
    save_in_bulk(Package, packages, m2m={"units": m2m})
    by_leader = {p.leader_id: p for p in packages}
    items: list[PackageItem] = []
    projects = Project.objects.filter(region__path__startswith=city.path, leaders__in=leaders).distinct().order_by("pk")
    for project in projects.prefetch_related("leaders"):
        kind = PackageItem.Kind.PREWORK if project.stage == ProjectStage.PREPARATION else PackageItem.Kind.PROJECT
        items.append(PackageItem(package=by_leader[project.leaders.all()[0].pk], kind=kind, project=project))
    enterprises = list(Unit.objects.filter(region__path__startswith=city.path, kind=Unit.Kind.ENTERPRISE)
                       .order_by("name")[:DINGXI_PACKAGES["enterprises"]])
    items += [PackageItem(package=packages[i % len(packages)], kind=PackageItem.Kind.ENTERPRISE, enterprise=e)
              for i, e in enumerate(enterprises)]
    items += [PackageItem(package=packages[i % len(packages)], kind=PackageItem.Kind.LEAD, lead=lead)
              for i, lead in enumerate(leads)]
    save_in_bulk(PackageItem, items)
    return len(packages)


LOADERS: dict[str, Any] = {"张掖市": zhangye, "迁安市": qianan, "定西市": dingxi}


def load(city: Region) -> str:
    """The attraction demo of ``city`` (one of ``LOADERS``); a line for load_demo to print."""
    found = LOADERS[city.name](city)
    more = f"，包抓责任组 {found['packages']} 个" if "packages" in found else ""
    return f"{city.name}：招商活动 {found['events']} 次，招商项目 {found['leads']} 个{more}"
