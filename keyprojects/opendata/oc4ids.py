"""The city's published projects as an OC4IDS project package (Open Contracting for
Infrastructure Data Standard, version 0.9). The mapping of each field, its source and what has
no equivalent: ``docs/oc4ids.md``. Only projects with a ``Publication`` are in it; the year's
figures (completed investment, completion rate) come through ``indicators.figures``.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from keyprojects.accounts.models import Unit
from keyprojects.core.permissions import SYSTEM, Actor
from keyprojects.indicators import figures
from keyprojects.projects.models import AnnualPlan, Project, Stage
from keyprojects.regions.models import Region

from .models import Publication

VERSION = "0.9"  # the package's major.minor; libcoveoc4ids checks it against the 0.9 schema
CURRENCY = "CNY"
WAN = Decimal(10000)  # 1 万元 in yuan
CODE_SCHEME = "CN-NDRC-TZXM"  # 国家投资项目在线审批监管平台的项目代码 (our name: no registered scheme)
ORG_SCHEME = "CN-USCC"  # 统一社会信用代码 (our label for the scheme; see docs/oc4ids.md)
GAZETTEER = "CN-GB2260"  # 中华人民共和国行政区划代码 (not in the locationGazetteers codelist: an extension)

# 建设阶段 → projectStatus. 停缓建 has none: a suspended project is in implementation once it
# started, else still in preparation.
STATUS: dict[str, str] = {
    Stage.PLANNING: "identification",
    Stage.PREPARATION: "preparation",
    Stage.CONSTRUCTION: "implementation",
    Stage.COMPLETED: "completion",
    Stage.OPERATING: "completed",
    Stage.TERMINATED: "cancelled",
}

# Words of a sector's (行业领域) name, else of the project's name → projectSector codes (the
# first row that matches wins; a subsector brings its parent).
SECTOR_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("公路", "道路", "高速", "桥"), "transport.road"),
    (("铁路", "高铁"), "transport.rail"),
    (("机场", "航空"), "transport.air"),
    (("港口", "航运", "航道"), "transport.water"),
    (("公交", "地铁", "轨道交通"), "transport.urban"),
    (("交通",), "transport"),
    (("光伏", "太阳能"), "energy.solar"),
    (("风电", "风力"), "energy.wind"),
    (("水电站",), "energy.hydropower"),
    (("新能源", "能源", "电力", "氢能", "电网", "供电", "变电", "汇集站", "燃气", "供热"), "energy"),
    (("防洪",), "naturalResources.floodProtection"),
    (("水利", "供水", "污水", "排水", "灌区", "垃圾", "环卫"), "waterAndWaste"),
    (("教育", "学校", "学院", "中学", "小学", "幼儿园"), "education"),
    (("医疗", "卫生", "医院", "养老", "康养"), "health"),
    (("文化", "旅游", "体育", "文旅"), "cultureSportsAndRecreation"),
    (("通信", "5G", "数据中心", "信息"), "communications"),
    (("保障房", "保障性住房", "棚户", "老旧小区", "安置"), "socialHousing"),
    (("生态", "环保", "林业", "国土", "治理"), "naturalResources"),
    (("农业", "工业", "制造", "装备", "材料", "钢铁", "化工", "服务业", "商贸", "物流", "产业", "园区"), "economy"),
]
TYPE_SECTOR: dict[str, str] = {Project.Type.INDUSTRY: "economy", Project.Type.ECOLOGY: "naturalResources"}


def sectors(project: Project) -> list[str]:
    """The projectSector codes of a project: from its name (污水处理厂 says more than 生态环保),
    else its sector's name, else its type; none when nothing says (the sector's own name is
    always in additionalClassifications)."""
    for text in (project.name, project.sector.name if project.sector else ""):
        for words, code in SECTOR_WORDS:
            if any(word in text for word in words):
                return [code.split(".")[0], code] if "." in code else [code]
    by_type = TYPE_SECTOR.get(project.project_type)
    return [by_type] if by_type else []


def status(project: Project) -> str:
    if project.stage == Stage.SUSPENDED:
        return "implementation" if project.actual_start else "preparation"
    return STATUS[project.stage]


def yuan(wan: Decimal) -> int:
    """万元 (to 4 places, i.e. to the yuan) → yuan, exact."""
    return int((wan * WAN).to_integral_value())


def value(wan: Decimal) -> dict[str, Any]:
    return {"amount": yuan(wan), "currency": CURRENCY}


def _moment(day: date, end: bool = False) -> str:
    tz = timezone.get_default_timezone()
    return datetime.combine(day, time(23, 59, 59) if end else time(0, 0), tzinfo=tz).isoformat()


def _period(start: date | None, end: date | None) -> dict[str, str]:
    period = {}
    if start:
        period["startDate"] = _moment(start)
    if end:
        period["endDate"] = _moment(end, end=True)
    return period


def _party(unit: Unit, prefix: str) -> dict[str, Any]:
    party: dict[str, Any] = {"name": unit.name}
    if unit.credit_code:
        party["id"] = f"{ORG_SCHEME}-{unit.credit_code}"
        party["identifier"] = {"scheme": ORG_SCHEME, "id": unit.credit_code, "legalName": unit.name}
    else:
        party["id"] = f"{prefix}-unit-{unit.pk}"
    party["address"] = {"region": unit.region.name, "countryName": "中国"}
    if unit.contact_person or unit.contact_phone:
        party["contactPoint"] = {k: v for k, v in (("name", unit.contact_person),
                                                   ("telephone", unit.contact_phone)) if v}
    return party


def parties(project: Project, prefix: str) -> list[dict[str, Any]]:
    """业主单位 → publicAuthority (government investment) or buyer (an enterprise paying for its
    own project); 责任单位 → administrativeEntity. One party per unit with all its roles."""
    found: dict[int, dict[str, Any]] = {}
    owner_role = "publicAuthority" if project.investment_nature == Project.InvestmentNature.GOVERNMENT else "buyer"
    for unit, role in ((project.owner, owner_role), (project.responsible_unit, "administrativeEntity")):
        if unit is None:
            continue
        party = found.setdefault(unit.pk, {**_party(unit, prefix), "roles": []})
        if role not in party["roles"]:
            party["roles"].append(role)
    return list(found.values())


def location(project: Project) -> dict[str, Any]:
    """The project's point (GeoJSON: longitude, latitude, WGS84 as entered) and its division."""
    region = project.region
    where: dict[str, Any] = {
        "id": "1",
        "description": project.address or region.full_name,
        "gazetteer": {"scheme": GAZETTEER, "identifiers": [region.code]},
        "address": {"locality": region.name, "region": (region.parent.name if region.parent else region.name),
                    "countryName": "中国"},
    }
    if project.address:
        where["address"]["streetAddress"] = project.address
    if project.longitude is not None and project.latitude is not None:
        where["geometry"] = {"type": "Point", "coordinates": [float(project.longitude), float(project.latitude)]}
    return where


def budget(project: Project, plans: list[AnnualPlan]) -> dict[str, Any]:
    """总投资, and each plan year's 年度计划投资 as a budget line of that year."""
    found: dict[str, Any] = {"amount": value(project.total_investment)}
    if plans:
        found["budgetBreakdown"] = [{
            "id": str(plan.year),
            "description": f"{plan.year}年度计划投资（{plan.get_nature_display()}）",
            "amount": value(plan.planned_investment),
            "period": _period(date(plan.year, 1, 1), date(plan.year, 12, 31)),
        } for plan in sorted(plans, key=lambda p: p.year)]
    return found


def metrics(line: dict[str, Any] | None, year: int, as_of: date) -> list[dict[str, Any]]:
    """The year's financial progress (annual plan, completed this year) and completion (投资完成率)
    as of the date, from the figure door's line of the project (None: not in the year's plan)."""
    if line is None:
        return []
    so_far = _period(date(year, 1, 1), as_of)
    observations: list[dict[str, Any]] = [
        {"id": f"{year}-annual-plan", "measure": "年度计划投资", "value": value(line["annual_plan"]),
         "period": _period(date(year, 1, 1), date(year, 12, 31))},
        {"id": f"{year}-completed", "measure": "本年累计完成投资", "value": value(line["completed"]), "period": so_far},
    ]
    completion = [{"id": f"{year}-completion-rate", "measure": str(line["completion_rate"]),
                   "unit": {"name": "%"}, "period": so_far,
                   "notes": "投资完成率 = 本年累计完成投资 ÷ 年度计划投资（已审核月报）"}] \
        if line["completion_rate"] is not None else []
    found = [{"id": "financialProgress", "title": "投资完成情况",
              "description": f"{year}年度计划投资与截至{as_of.isoformat()}本年累计完成投资（已审核月报，元）",
              "observations": observations}]
    if completion:
        found.append({"id": "completion", "title": "投资完成率",
                      "description": f"截至{as_of.isoformat()}的{year}年投资完成率（%）",
                      "observations": completion})
    return found


def project_record(project: Project, plans: list[AnnualPlan], line: dict[str, Any] | None, year: int,
                   as_of: date, prefix: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"{prefix}-{project.pk}",
        "updated": project.updated_at.isoformat(),
        "title": project.name,
        "status": status(project),
        "sector": sectors(project),
        "additionalClassifications": [c for c in (
            {"scheme": "行业领域", "id": str(project.sector_id), "description": project.sector.name}
            if project.sector else None,
            {"scheme": "项目类型", "id": project.project_type, "description": project.get_project_type_display()},
            {"scheme": "投资性质", "id": project.investment_nature,
             "description": project.get_investment_nature_display()},
        ) if c],
        "locations": [location(project)],
        "budget": budget(project, plans),
        "parties": parties(project, prefix),
    }
    if project.code:
        record["identifiers"] = [{"id": project.code, "scheme": CODE_SCHEME}]
    if project.scope:
        record["description"] = project.scope
    period = _period(project.actual_start or project.planned_start,
                     project.actual_completion or project.planned_completion)
    if period:
        record["period"] = period
    if project.actual_completion:
        record["completion"] = {"endDate": _moment(project.actual_completion, end=True)}
    progress = metrics(line, year, as_of)
    if progress:
        record["metrics"] = progress
    return {k: v for k, v in record.items() if v not in ([], "", None)}


def published(region: Region) -> QuerySet[Project]:
    return (Project.objects.filter(publication__isnull=False, region__path__startswith=region.path)
            .select_related("region__parent", "sector", "owner__region", "responsible_unit__region")
            .prefetch_related("plans").order_by("region__code", "name", "pk"))


def package(region: Region, year: int | None, uri: str, as_of: date | None = None,
            reader: Actor | None = None) -> dict[str, Any] | None:
    """The OC4IDS project package of the projects published in ``region`` (those ``reader`` may
    view, when the package is not public) with the figures of plan ``year`` (None: the latest plan
    year of them) as of ``as_of`` (None: the figure door's default date); None when nothing is
    published there. Its ``publishedDate`` is the last change of what it contains, so the same
    contents give the same package."""
    rows = published(region)
    if reader is not None:
        rows = rows.filter(pk__in=Project.objects.visible_to(reader).values("pk"))
    projects = list(rows)
    if not projects:
        return None
    year = year or max((p.year for p in AnnualPlan.objects.filter(project__in=projects)), default=None) \
        or timezone.localdate().year
    if as_of is None:
        as_of, _why = figures.data_date(reader or SYSTEM, year, region)
    lines = {line["project_id"]: line
             for line in figures.project_standings(SYSTEM, year, as_of, region, Project.objects.filter(
                 pk__in=[p.pk for p in projects]))}
    prefix = settings.KEYPROJECTS_OC4IDS_PREFIX
    changed = max([p.updated_at for p in projects]
                  + [datetime.combine(d, time(0, 0), tzinfo=timezone.get_default_timezone()) for d in
                     Publication.objects.filter(project__in=projects).values_list("published_on", flat=True)])
    result: dict[str, Any] = {
        "uri": uri,
        "publishedDate": changed.isoformat(),
        "publisher": {"name": settings.KEYPROJECTS_OC4IDS_PUBLISHER or f"{region.name}发展和改革委员会"},
        "version": VERSION,
        "projects": [project_record(p, list(p.plans.all()), lines.get(p.pk), year, as_of, prefix) for p in projects],
    }
    if settings.KEYPROJECTS_OC4IDS_LICENSE:
        result["license"] = settings.KEYPROJECTS_OC4IDS_LICENSE
    return result
