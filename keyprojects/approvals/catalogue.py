"""The catalogue a city starts from (默认前期手续目录), written from the approval flow that the
reform of construction-project approvals (工程建设项目审批制度改革) sets out: project
establishment by path (审批 / 核准 / 备案), land and site, feasibility, the permits of planning,
the assessments that run in parallel (环评, 节能, 水保, 稳评), preliminary design, drawings review
and the construction permit. Durations are typical working days; a city edits them, and its
own rows are what projects are scheduled from.

Each entry: code, name, issuing department, keywords that find the department among the city's
units, working days, the codes it waits for, validity in months, paths, project types and the
minimum total investment (万元) it applies from.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .models import Path


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    issuer: str
    keywords: tuple[str, ...]
    duration: int
    depends: tuple[str, ...] = ()
    validity_months: int | None = None
    paths: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    min_investment: Decimal | None = None


NDRC, LAND, ENV, HOUSING, WATER = (("发展和改革", "发改"), ("自然资源",), ("生态环境",), ("住房和城乡建设", "住建"),
                                   ("水利", "水务"))

DEFAULT = [
    Entry("proposal", "项目建议书批复", "发展改革部门", NDRC, 10, paths=(Path.APPROVAL,)),
    Entry("filing", "项目备案", "发展改革部门", NDRC, 3, paths=(Path.FILING,)),
    Entry("land_pre", "用地预审与选址意见书", "自然资源部门", LAND, 20, ("proposal",), validity_months=36),
    Entry("stability", "社会稳定风险评估", "政法委", ("政法",), 15, ("proposal",), paths=(Path.APPROVAL,)),
    Entry("eia", "环境影响评价批复", "生态环境部门", ENV, 30, validity_months=60),
    Entry("energy", "节能审查意见", "发展改革部门", NDRC, 15, types=("industry", "infrastructure"),
          min_investment=Decimal(5000)),
    Entry("soil", "水土保持方案批复", "水行政部门", WATER, 15, min_investment=Decimal(1000)),
    Entry("ratification", "项目核准", "发展改革部门", NDRC, 20, ("land_pre", "stability"), paths=(Path.RATIFICATION,)),
    Entry("feasibility", "可行性研究报告批复", "发展改革部门", NDRC, 20, ("land_pre", "stability"), validity_months=24,
          paths=(Path.APPROVAL,)),
    Entry("land_planning", "建设用地规划许可证", "自然资源部门", LAND, 10, ("feasibility", "ratification", "filing")),
    Entry("design", "初步设计批复", "发展改革部门", NDRC, 20, ("feasibility",), paths=(Path.APPROVAL,)),
    Entry("works_planning", "建设工程规划许可证", "自然资源部门", LAND, 15, ("land_planning", "design")),
    Entry("drawings", "施工图审查", "住房城乡建设部门", HOUSING, 15, ("works_planning",)),
    Entry("permit", "施工许可证", "住房城乡建设部门", HOUSING, 5, ("drawings", "eia", "energy", "soil"),
          validity_months=3),
]
