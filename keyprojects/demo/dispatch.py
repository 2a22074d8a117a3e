"""Dispatch demo data shared by the demo cities: meetings with their minutes and decisions, and
the problem ledger those meetings, monthly reports and site visits fed, each problem taken
through the workflow (raised, assigned, progress, replied, returned, signed off, 督办 when
late) by the dispatch services on the days it happened, so the timelines, the audit trail and
the workflow's rules are the real ones.

A city gives a ``Cast`` (who acts, which units answer which kind of problem), the meetings it
held (``MeetingPlan``) and how its ledger stands at its as-of date (``Ledger``); ``DispatchDemo``
writes them, deterministic for a seeded ``random.Random``. Nothing is dated after the as-of date.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core import clock
from keyprojects.core.permissions import SYSTEM
from keyprojects.dispatch import cadence, services
from keyprojects.dispatch.models import CadenceRule, Meeting, MeetingKind, Problem
from keyprojects.projects.models import Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

from .common import demo_user, unit

Category, Source = Problem.Category, Problem.Source

# --- the phrase bank ---------------------------------------------------------------------------
# Blockers by category: (summary, the fuller description). "{unit}" is the lead unit.
ISSUES: dict[str, list[tuple[str, str]]] = {
    Category.LAND: [
        ("项目用地组卷报批未完成", "项目二期用地约{mu}亩尚未完成土地组卷报批，影响用地手续办理和后续施工许可。"),
        ("用地指标不足，部分用地未落实", "项目规划用地{mu}亩，现有用地指标仅能保障一期，剩余用地指标尚未落实。"),
        ("林地占用手续未批复", "项目红线范围内涉及林地约{mu}亩，使用林地审核手续尚未批复，施工无法全面展开。"),
        ("土地出让前规划条件未明确", "项目地块规划条件尚未出具，土地无法挂牌出让，企业拿地时间推迟。"),
        ("用地预审与选址意见书尚未取得", "项目已完成可研编制，但用地预审与选址意见书尚未取得，制约立项审批。"),
    ],
    Category.APPROVAL: [
        ("施工许可证尚未办理", "项目主体工程已具备开工条件，施工许可证因施工图审查未完成尚未办理。"),
        ("可研报告批复滞后", "项目可行性研究报告已上报{weeks}周，尚未取得批复，影响初步设计编制。"),
        ("建设工程规划许可证办理滞后", "项目总平面图经多次修改仍未通过审查，建设工程规划许可证无法办理。"),
        ("消防设计审查未通过", "项目消防设计审查提出{n}条修改意见，设计单位修改进度慢，影响施工许可办理。"),
        ("初步设计及概算未批复", "项目初步设计及概算已报审，尚未批复，招标工作无法启动。"),
        ("项目备案信息变更未完成", "项目建设内容调整后，备案信息变更手续未完成，后续手续无法衔接。"),
    ],
    Category.DEMOLITION: [
        ("征地范围内房屋拆迁未完成", "项目征地范围内尚有{n}户房屋未完成拆迁，影响场地平整和施工进场。"),
        ("地上附着物补偿存在分歧", "部分群众对地上附着物补偿标准有异议，青苗及附着物清表工作推进缓慢。"),
        ("坟墓迁移工作推进缓慢", "项目用地范围内有{n}座坟墓尚未迁移，影响场地清表。"),
        ("高压线杆迁改影响施工", "项目场地内{n}基高压线杆尚未迁改，塔吊无法安装，主体施工受阻。"),
        ("部分群众对征收补偿有异议", "个别村民对征收补偿方案不认可，阻挠施工，现场多次停工。"),
    ],
    Category.FUNDING: [
        ("专项债券资金拨付滞后", "项目已发行专项债券{wan}万元，资金尚未拨付到项目单位，工程款支付困难。"),
        ("项目资本金未足额到位", "项目资本金应到位{wan}万元，目前到位不足一半，影响银行贷款投放。"),
        ("银行贷款审批进度慢", "项目向银行申请贷款{wan}万元，授信审批进度慢，后续工程资金缺口较大。"),
        ("中央预算内投资资金尚未下达", "项目已纳入中央预算内投资计划，资金尚未下达，配套资金难以落实。"),
        ("工程款拨付不及时，施工单位资金紧张", "项目工程款拨付滞后，施工单位垫资压力大，施工人员和机械投入不足。"),
    ],
    Category.UTILITIES: [
        ("施工用电线路尚未接入", "项目施工临时用电线路尚未接入，现靠柴油发电机供电，无法满足大型设备施工需要。"),
        ("配套变电站及线路未建成", "项目配套110千伏变电站及送出线路尚未建成，影响设备调试和投产时间。"),
        ("供水管网未接通", "项目区域市政供水管网尚未接通，生产生活用水无法保障。"),
        ("进场道路未硬化，雨天无法通行", "项目进场道路约{km}公里尚未硬化，雨天车辆无法通行，材料进场受阻。"),
        ("天然气管道接入方案未确定", "项目用气需求较大，天然气管道接入方案和接驳点尚未确定。"),
        ("通信光缆迁改影响管线施工", "项目施工范围内通信光缆需迁改，产权单位迁改方案未定，管线施工无法推进。"),
    ],
    Category.ENVIRONMENT: [
        ("环评报告尚未批复", "项目环境影响报告书已完成技术评估，尚未取得批复，不具备开工条件。"),
        ("节能审查未完成", "项目节能报告已报审，节能审查意见尚未出具，影响项目核准。"),
        ("水土保持方案未批复", "项目水土保持方案报告书尚未批复，影响用地手续及施工许可办理。"),
        ("排污许可证办理滞后", "项目已建成进入调试阶段，排污许可证尚未取得，无法正式投产。"),
    ],
    Category.ENERGY: [
        ("能耗指标不足，节能审查无法通过", "项目年综合能耗约{n}万吨标准煤，能耗指标尚未落实，节能审查无法通过。"),
        ("用能权指标尚未落实", "项目新增用能需通过用能权交易解决，指标来源尚未落实。"),
    ],
    Category.CONSTRUCTION: [
        ("复工后施工人员不足", "项目复工后施工人员仅到位{n}人，不足计划的一半，施工进度滞后于计划。"),
        ("砂石料供应紧张，价格上涨", "受区域砂石料限采影响，项目砂石料供应紧张、价格上涨，混凝土浇筑不连续。"),
        ("建筑垃圾消纳场地未落实", "项目场地平整产生的土方和建筑垃圾无处消纳，影响场地平整进度。"),
        ("夜间施工受限，工期紧张", "项目周边居民区较近，夜间施工受限，关键节点工期紧张。"),
        ("疫情防控期间外地施工人员进场受限", "受疫情防控影响，外地技术人员和施工人员进场受限，设备安装进度滞后。"),
    ],
    Category.OTHER: [
        ("合作方变更，建设方案需调整", "项目合作方发生变更，建设方案和投资计划需重新调整，前期工作暂停。"),
        ("项目涉及军事设施保护区，需征求意见", "项目选址邻近军事设施，需征求军事机关意见，尚未取得书面意见。"),
    ],
}

# The lead unit's reply that the problem is solved, by category.
REPLIES: dict[str, list[str]] = {
    Category.LAND: [
        "已完成土地组卷并上报，用地批复已下达，项目用地手续办理完毕。",
        "经协调，项目调整用地布局，剩余用地已纳入年度供地计划，土地已挂牌出让并签订出让合同。",
        "使用林地审核同意书已取得，项目可全面施工。",
        "规划条件已出具，地块已完成挂牌出让，企业已取得不动产权证书。",
    ],
    Category.APPROVAL: [
        "施工图审查已完成，施工许可证已于当日核发。",
        "可研报告已批复，初步设计正在同步编制。",
        "经联合审查，总平面图已通过，建设工程规划许可证已核发。",
        "设计单位已按意见修改完毕，消防设计审查已通过。",
        "初步设计及概算已批复，项目已进入招标程序。",
        "备案变更已在投资项目在线审批监管平台办结。",
    ],
    Category.DEMOLITION: [
        "经镇村两级多次入户做工作，剩余房屋已全部签订协议并拆除完毕。",
        "已按补偿标准完成地上附着物评估和补偿，清表工作已完成。",
        "坟墓已全部迁移完毕，场地已移交施工单位。",
        "供电部门已完成高压线杆迁改，塔吊已安装到位。",
        "已协调解决群众诉求，补偿款已发放到位，现场施工秩序恢复正常。",
    ],
    Category.FUNDING: [
        "专项债券资金已拨付到项目单位，工程款已按进度支付。",
        "企业已通过增资扩股补足资本金，银行贷款已开始投放。",
        "经银企对接，贷款已完成审批，首笔资金已到位。",
        "中央预算内投资资金已下达，配套资金已落实。",
        "已拨付工程进度款，施工单位已增加人员和机械投入。",
    ],
    Category.UTILITIES: [
        "施工临时用电线路已架设完成并送电。",
        "变电站及送出线路已建成投运，满足项目用电需求。",
        "供水管网已接通并完成水压试验，生产生活用水已保障。",
        "进场道路已完成硬化，材料车辆通行正常。",
        "天然气接入方案已确定，接驳管道已开工建设。",
        "产权单位已完成光缆迁改，管线施工已恢复。",
    ],
    Category.ENVIRONMENT: [
        "环评报告书已批复，项目具备开工条件。",
        "节能审查意见已出具，项目已完成核准。",
        "水土保持方案已批复。",
        "排污许可证已核发，项目可正式投产。",
    ],
    Category.ENERGY: [
        "经统筹调剂，项目能耗指标已落实，节能审查已通过。",
        "已通过用能权交易解决项目新增用能指标。",
    ],
    Category.CONSTRUCTION: [
        "施工单位已增派施工人员，现场施工人员已达到计划人数，进度已追回。",
        "已协调本地砂石料场保障供应，混凝土浇筑已恢复连续施工。",
        "已指定建筑垃圾消纳场地，土方外运有序进行。",
        "已办理夜间施工许可，合理安排施工时段，关键节点可按期完成。",
        "已为外地施工人员办理通行手续，设备安装已恢复。",
    ],
    Category.OTHER: [
        "建设方案已调整完毕并经企业董事会审议通过，前期工作已恢复。",
        "已取得军事机关书面意见，项目选址不受影响。",
    ],
}
PROGRESS = [
    "已召开专题协调会，明确了办理路径和时间节点，正在准备报批材料。",
    "已与项目单位对接，相关材料已报送，待上级部门审查。",
    "已组织现场踏勘，正在制定解决方案，预计按时限办结。",
    "已向市政府分管领导专题汇报，正在协调相关部门联合办理。",
    "主要工作已完成，剩余事项正在推进，将于时限前办结。",
    "已函请上级主管部门支持，正在跟进办理进度。",
]
# A first reply the raiser returns, and why (the reasons any problem can have, and a category's own).
FIRST_REPLIES = ["问题已基本解决。", "已协调相关单位，正在收尾。", "已按要求办理完毕。"]
RETURNS = [
    "经现场核实，问题尚未彻底解决，请继续办理。",
    "答复内容过于简单，请说明具体办理情况和完成时间。",
    "答复未附相关证明材料，请补充上传后再报销号。",
]
CATEGORY_RETURNS: dict[str, str] = {
    Category.FUNDING: "资金仅到位一部分，请明确剩余资金到位时间后再答复。",
    Category.APPROVAL: "答复未附批复文件，请补充上传后再报销号。",
    Category.LAND: "答复未说明用地批复文号，请补充后再报。",
    Category.DEMOLITION: "经现场核实，仍有个别户未签订协议，请继续做好群众工作。",
}
SIGN_OFFS = ["经核实，问题已解决，同意销号。", "经现场核查，项目已正常施工，予以销号。", "核实无误，销号。", ""]
ASSIGN_NOTES = ["请按时限办结并反馈。", "请主动对接项目单位，倒排时间节点。", "", "请配合单位积极支持，形成工作合力。", ""]
# Decisions that stay directions and become no problem.
DIRECTIONS = [
    "各责任单位要倒排工期、挂图作战，确保项目按计划推进。",
    "{project}要加快施工进度，确保年度投资计划按期完成。",
    "各包抓领导要深入项目现场，及时协调解决项目推进中的困难和问题。",
    "{project}要抢抓施工黄金期，增加施工作业面，确保形象进度。",
    "各有关部门要强化要素保障，对项目手续实行并联审批、容缺受理。",
    "要做好项目入库纳统工作，确保应统尽统。",
]
MINUTES: dict[str, list[str]] = {
    MeetingKind.CONCENTRATED: [
        "会议听取了各责任单位关于重点项目推进情况的汇报，逐一研究了项目建设中存在的困难和问题。会议强调，"
        "要坚持“项目为王”，紧盯年度目标任务，以超常规举措推进项目建设。现将议定事项纪要如下：",
        "会议通报了全市重点项目开复工和投资完成情况，对进度滞后的项目进行了点评，研究解决了一批制约项目建设的"
        "突出问题。会议议定事项如下：",
    ],
    MeetingKind.SINGLE_PROJECT: [
        "会议专题听取了项目建设单位的汇报，对项目推进中遇到的问题进行了逐项研究，明确了责任单位和办结时限。",
        "会议围绕项目建设的关键环节进行了专题调度，相关部门现场答复了项目单位提出的问题。",
    ],
    MeetingKind.ON_SITE: [
        "调度组深入项目建设现场，实地查看了施工进展，现场听取了项目单位的困难和诉求，当场协调解决有关问题。",
        "在项目现场召开调度会，实地察看施工情况，对项目建设中的问题现场办公、现场交办。",
    ],
    MeetingKind.CLOUD: [
        "会议以视频方式召开，各县区分会场汇报了重点项目推进情况，会议对存在的问题进行了集中交办。",
    ],
}
DEADLINE_DAYS = [10, 15, 15, 20, 20, 30, 30, 45]


def fill(template: str, rng: random.Random, **extra: Any) -> str:
    """A phrase with its numbers filled in (plausible sizes, the same for a seed)."""
    return template.format(mu=rng.choice([35, 48, 62, 80, 120, 156, 210]), weeks=rng.choice([3, 4, 6, 8]),
                           n=rng.choice([2, 3, 4, 5, 7, 9]), wan=rng.choice([800, 1500, 2000, 3500, 5000, 8000]),
                           km=rng.choice([0.8, 1.2, 1.5, 2.6, 3.4]), **extra)


# --- what a city gives ---------------------------------------------------------------------------

@dataclass
class Cast:
    """Who acts in a city's dispatch: its dispatcher (the city admin, who records the meetings,
    raises, assigns and signs off), its leaders, the projects meetings look at, and for each
    category the units that may lead on it (each with a clerk who replies)."""

    city: Region
    as_of: date
    dispatcher: User
    leaders: list[Leader]
    projects: list[Project]
    leads: dict[str, list[Unit]]
    co_units: list[Unit]
    places: list[str]
    # a county's own unit leads on its projects' demolition and site problems (its clerk replies)
    county_units: dict[int, Unit] = field(default_factory=dict)


@dataclass
class MeetingPlan:
    kind: str
    day: date
    chair: Leader | None
    title: str
    place: str = ""
    rule: CadenceRule | None = None
    problems: int = 1  # how many of its decisions become problems
    projects: list[Project] = field(default_factory=list)


@dataclass
class Ledger:
    """How the ledger stands at the as-of date: problems signed off, and open ones by state."""

    closed: int
    overdue: int
    in_progress: int
    replied: int
    new: int


@dataclass
class Planned:
    """A problem before it is written, with its fate."""

    day: date
    project: Project
    category: str
    source: str
    meeting: int | None = None  # index into the meetings
    fate: str = "closed"
    title: str = ""
    description: str = ""
    lead: Unit | None = None
    deadline: date = date.max


def answering_units(city: Region, logins: dict[str, str]) -> dict[str, Unit]:
    """The units that answer problems (``logins``: unit name → its clerk's login), each with the
    clerk who replies for it; a power or gas company is an enterprise, the rest departments."""
    found = {}
    for name, login in logins.items():
        kind = Unit.Kind.ENTERPRISE if name.endswith("公司") else Unit.Kind.DEPARTMENT
        found[name] = unit(name, city, kind)
        demo_user(login, f"{name}经办人", User.Role.DEPARTMENT_CLERK, found[name])
    return found


def cadence_rule(city: Region, name: str, chair: Leader, every_weeks: int, starts_on: date, lists: list) -> CadenceRule:
    from keyprojects.core.validation import validate

    rule = CadenceRule(name=name, region=city, chair=chair, kind=MeetingKind.CONCENTRATED, every=every_weeks,
                       interval=CadenceRule.Interval.WEEKS, weekday=starts_on.isoweekday(), starts_on=starts_on,
                       reminder_days=2)
    validate(rule)
    rule.save()
    rule.lists.set(lists)
    return rule


def cadence_days(rule: CadenceRule, last: date) -> list[date]:
    """The days a rule's meetings are held on, from its first, up to ``last`` (a day due in a
    holiday put off to the next working day, as the calendar does)."""
    return [item.scheduled for item in cadence.occurrences(rule, rule.starts_on, last) if item.scheduled <= last]


def weekdays_between(rng: random.Random, first: date, last: date, count: int, skip: tuple[date, date] | None = None,
                     ) -> list[date]:
    """``count`` working days (Monday–Friday) between ``first`` and ``last``, not in ``skip`` (a
    holiday), in order; the same day may hold two meetings."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    days = [d for d in days if d.isoweekday() <= 5 and not (skip and skip[0] <= d <= skip[1])]
    return sorted(rng.choice(days) for _ in range(count))


class DispatchDemo:
    def __init__(self, cast: Cast, rng: random.Random) -> None:
        self.cast, self.rng = cast, rng
        self.meetings: list[Meeting] = []
        self.issue_used: dict[tuple[int, str], int] = {}

    def write(self, plans: list[MeetingPlan], ledger: Ledger) -> dict[str, int]:
        for plan in plans:
            assert plan.day <= self.cast.as_of, plan
        planned = self.plan_problems(plans, ledger)
        decisions = self.write_meetings(plans, planned)
        problems = [self.write_problem(p, decisions.get(id(p))) for p in planned]
        return {"meetings": len(self.meetings), "problems": len(problems)}

    # --- planning ------------------------------------------------------------------------------
    def plan_problems(self, plans: list[MeetingPlan], ledger: Ledger) -> list[Planned]:
        """The problems of the meetings, then the open ones chosen (the latest awaiting
        assignment, in hand, replied; the overdue ones a month or two old), then problems from
        reports and site visits earlier in the year so exactly ``ledger.closed`` are signed off."""
        rng, as_of = self.rng, self.cast.as_of
        for plan in plans:
            if not plan.projects:
                size: int = {MeetingKind.CONCENTRATED: 5, MeetingKind.CLOUD: 4, MeetingKind.SINGLE_PROJECT: 1,
                        MeetingKind.ON_SITE: 1}[MeetingKind(plan.kind)]
                plan.projects = rng.sample(self.cast.projects, size)
        planned = []
        for index, plan in enumerate(plans):
            source = Source.ON_SITE if plan.kind == MeetingKind.ON_SITE else Source.MEETING
            for n in range(plan.problems):
                project = plan.projects[n % len(plan.projects)]
                planned.append(Planned(plan.day, project, self.category(), source, meeting=index))
        planned.sort(key=lambda p: p.day)
        latest = sorted(planned, key=lambda p: p.day, reverse=True)
        fates = ["new"] * ledger.new + ["in_progress"] * ledger.in_progress + ["replied"] * ledger.replied
        for problem, fate in zip(latest, fates, strict=False):
            problem.fate = fate
        # A month or two old and still in hand: past their deadline.
        aged = [p for p in planned if p.fate == "closed" and as_of - timedelta(days=75) <= p.day
                <= as_of - timedelta(days=25)]
        for problem in rng.sample(aged, min(ledger.overdue, len(aged))):
            problem.fate = "overdue"
        for problem in planned:  # too recent to have been replied to and signed off
            if problem.fate == "closed" and problem.day > as_of - timedelta(days=4):
                problem.fate = "in_progress"
        closed = sum(p.fate == "closed" for p in planned)
        if closed > ledger.closed:
            raise ValueError(f"{closed} problems would be signed off, more than {ledger.closed}: fewer meeting problems")
        first = min(p.day for p in planned) if planned else as_of - timedelta(days=120)
        for _ in range(ledger.closed - closed):
            day = first + timedelta(days=rng.randint(0, max(1, (as_of - first).days - 20)))
            while day.isoweekday() > 5:
                day += timedelta(days=1)
            planned.append(Planned(day, rng.choice(self.cast.projects), self.category(),
                                   rng.choice([Source.REPORT, Source.REPORT, Source.SITE_VISIT, Source.PUBLIC])))
        planned.sort(key=lambda p: p.day)
        return planned

    def category(self) -> str:
        weights = {Category.LAND: 16, Category.APPROVAL: 20, Category.DEMOLITION: 14, Category.FUNDING: 12,
                   Category.UTILITIES: 16, Category.ENVIRONMENT: 7, Category.ENERGY: 3, Category.CONSTRUCTION: 10,
                   Category.OTHER: 2}
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def issue(self, problem: Planned) -> tuple[str, str]:
        """A blocker of the problem's category not yet used for its project."""
        bank = ISSUES[problem.category]
        key = (problem.project.pk, problem.category)
        start = self.issue_used.get(key, self.rng.randrange(len(bank)))
        self.issue_used[key] = start + 1
        title, description = bank[start % len(bank)]
        return title, fill(description, self.rng)

    # --- meetings ------------------------------------------------------------------------------
    def write_meetings(self, plans: list[MeetingPlan], planned: list[Planned]) -> dict[int, Any]:
        """Each meeting through ``save_meeting``, its decisions those of its problems (the blocker,
        the lead unit, the deadline) and a direction or two; returns each planned problem's decision."""
        cast, rng = self.cast, self.rng
        by_meeting: dict[int, list[Planned]] = {}
        for problem in planned:
            if problem.meeting is not None:
                by_meeting.setdefault(problem.meeting, []).append(problem)
        found: dict[int, Any] = {}
        for index, plan in enumerate(plans):
            mine = by_meeting.get(index, [])
            first = plan.projects[0]
            title = plan.title.format(project=first.name)
            place = plan.place or (f"{first.name}建设现场" if plan.kind == MeetingKind.ON_SITE else rng.choice(cast.places))
            texts: list[tuple[Planned | None, str]] = []
            for problem in mine:
                self.describe(problem)
                who = ("责任单位会后研究确定。" if problem.fate == "new" else
                       f"由{problem.lead}牵头，{problem.deadline.month}月{problem.deadline.day}日前办结。")
                texts.append((problem, f"{problem.project.name}：{problem.title}。{problem.description}{who}"))
            for direction in rng.sample(DIRECTIONS, rng.randint(1, 2) if plan.kind != MeetingKind.ON_SITE else
                                        rng.randint(0, 1)):
                texts.append((None, direction.format(project=rng.choice(plan.projects).name)))
            # the secretariat, the units leading on its problems, and the counties whose projects it looks at
            units = {cast.dispatcher.unit, *(p.lead for p in mine), *(self.county_unit(p) for p in plan.projects)}
            with clock.at(clock.moment(plan.day, 17)):  # its minutes entered the day it met
                meeting = services.save_meeting(cast.dispatcher, None, None, {
                    "kind": plan.kind, "title": title[:200], "region": cast.city, "chair": plan.chair, "date": plan.day,
                    "place": place, "minutes": rng.choice(MINUTES[plan.kind]),
                    "cadence_rule": plan.rule, "units": [u for u in units if u is not None], "projects": plan.projects,
                }, [(None, text) for _problem, text in texts])
            decisions = list(meeting.decisions.all())
            for (decided, _text), decision in zip(texts, decisions, strict=True):
                if decided is not None:
                    found[id(decided)] = decision
            self.meetings.append(meeting)
        return found

    def describe(self, problem: Planned) -> None:
        summary, problem.description = self.issue(problem)
        problem.title = summary  # (the project is beside it on every page and in the decision)
        problem.lead, problem.deadline = self.lead(problem), self.deadline(problem)

    def county_unit(self, project: Project) -> Unit | None:
        county = self.cast.county_units.get(project.region_id)
        if county is None and project.region.parent_id in self.cast.county_units:
            county = self.cast.county_units[project.region.parent_id]  # a zone's county
        return county

    def lead(self, problem: Planned) -> Unit:
        county = self.county_unit(problem.project)
        if county is not None and problem.category in (Category.DEMOLITION, Category.CONSTRUCTION):
            return county
        return self.rng.choice(self.cast.leads[problem.category])

    def deadline(self, problem: Planned) -> date:
        days = self.rng.choice(DEADLINE_DAYS)
        if problem.fate == "overdue":  # it ran out before the as-of date
            return min(problem.day + timedelta(days=days), self.cast.as_of - timedelta(days=self.rng.randint(3, 12)))
        if problem.fate in ("in_progress", "new"):
            return max(problem.day + timedelta(days=days), self.cast.as_of + timedelta(days=self.rng.randint(3, 20)))
        return problem.day + timedelta(days=days)

    # --- the problems' lives -------------------------------------------------------------------
    def write_problem(self, planned: Planned, decision: Any) -> Problem:
        cast, rng, as_of = self.cast, self.rng, self.cast.as_of
        if not planned.title:  # not from a meeting
            self.describe(planned)
        p = planned
        assert p.lead is not None
        day = p.day
        data: dict[str, Any] = {"project": p.project, "source": p.source, "category": p.category, "title": p.title,
                                "description": p.description, "decision": decision, "leader": self.leader(p)}
        if p.source == Source.REPORT:
            report = self.report_before(p.project, day)
            if report is not None:
                data["report"] = report
                data["description"] = f"{report.period.year}年{report.period.month}月月报反映：{p.description}"
            else:
                data["source"] = Source.SITE_VISIT
        if p.fate != "new":
            co = [u for u in rng.sample(cast.co_units, rng.choice([0, 1, 1, 2])) if u != p.lead]
            data |= {"lead_unit": p.lead, "co_units": co, "deadline": p.deadline, "text": rng.choice(ASSIGN_NOTES)}
        with clock.at(day):
            problem = services.raise_problem(cast.dispatcher, data, on=day)
        clerk = self.clerk(p.lead)
        if p.fate == "new":
            return problem
        if p.fate == "overdue":
            self.progress(problem, clerk, day, p.deadline, chance=0.6)
            with clock.at(clock.moment(p.deadline + timedelta(days=1), 8)):  # the morning's 督办 job
                services.supervise(SYSTEM, problem.pk, p.deadline + timedelta(days=1))
            return problem
        if p.fate == "in_progress":
            self.progress(problem, clerk, day, as_of, chance=0.5)
            return problem
        # Replied (and, for the closed ones, signed off): on time mostly, some late after a 督办.
        late = p.fate == "closed" and rng.random() < 0.12
        span = max(1, (min(p.deadline, as_of) - day).days)
        reply_on = day + timedelta(days=rng.randint(max(1, span // 3), span))
        if late:
            reply_on = p.deadline + timedelta(days=rng.randint(2, 10))
        last_reply = as_of if p.fate == "replied" else as_of - timedelta(days=1)
        reply_on = min(reply_on, last_reply)
        reply_on = max(reply_on, day + timedelta(days=1)) if day < last_reply else day
        text = rng.choice(REPLIES[p.category])
        # Some closed ones had a first reply the raiser returned (only those replied in time:
        # a 督办 between the two replies is not modelled).
        first_reply = reply_on
        returned = (p.fate == "closed" and not late and rng.random() < 0.15 and reply_on <= p.deadline
                    and reply_on + timedelta(days=9) < as_of and (reply_on - day).days >= 5)
        if returned:
            first_reply = max(day + timedelta(days=1), reply_on - timedelta(days=rng.randint(4, 8)))
            reply_on = max(reply_on, first_reply + timedelta(days=4))
        # (progress before any 督办 or reply, so the timeline reads in the order it was written)
        self.progress(problem, clerk, day, min(first_reply, p.deadline + timedelta(days=1)), chance=0.3)
        if p.deadline < first_reply:
            with clock.at(clock.moment(p.deadline + timedelta(days=1), 8)):
                services.supervise(SYSTEM, problem.pk, p.deadline + timedelta(days=1))
        if returned:
            with clock.at(first_reply):
                services.reply(clerk, problem.pk, None, rng.choice(FIRST_REPLIES), on=first_reply)
            returned_on = first_reply + timedelta(days=rng.randint(1, 2))
            reasons = RETURNS + ([CATEGORY_RETURNS[p.category]] * 2 if p.category in CATEGORY_RETURNS else [])
            with clock.at(returned_on):
                services.return_problem(cast.dispatcher, problem.pk, None, rng.choice(reasons), on=returned_on)
        with clock.at(reply_on):
            services.reply(clerk, problem.pk, None, text, on=reply_on)
        if p.fate == "closed":
            sign_on = min(reply_on + timedelta(days=rng.randint(1, 6)), as_of)
            with clock.at(clock.moment(sign_on, 15)):
                services.sign_off(cast.dispatcher, problem.pk, None, rng.choice(SIGN_OFFS), on=sign_on)
        return problem

    def progress(self, problem: Problem, clerk: User, after: date, before: date, chance: float) -> None:
        if (before - after).days >= 3 and self.rng.random() < chance:
            on = after + timedelta(days=self.rng.randint(1, (before - after).days - 1))
            with clock.at(on):
                services.reply(clerk, problem.pk, None, self.rng.choice(PROGRESS), done=False, on=on)

    def leader(self, problem: Planned) -> Leader | None:
        packaged = list(problem.project.leaders.all())
        if packaged:
            return packaged[0]
        if problem.meeting is not None:
            return self.meetings[problem.meeting].chair
        return self.rng.choice(self.cast.leaders)

    def clerk(self, lead: Unit) -> User:
        found = User.objects.filter(unit=lead, is_active=True, role__in=[
            User.Role.DEPARTMENT_CLERK, User.Role.COUNTY_CLERK]).order_by("pk").first()
        if found is None:
            raise ValueError(f"no clerk replies for {lead}")
        return found

    def report_before(self, project: Project, day: date) -> ProgressReport | None:
        """The project's latest report approved before ``day``: the one whose 存在问题 raised it."""
        return (ProgressReport.objects.filter(project=project, reviewed_at__date__lt=day)
                .select_related("period").order_by("-reviewed_at").first())

