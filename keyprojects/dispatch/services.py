"""The problem ledger's workflow and the meetings: one transaction per operation, the scope
checked through ``core.permissions`` and the sides through ``rules`` before and after, versions
checked, every change audited and written to the problem's timeline (``ProblemEvent``), and the
units concerned notified (each notification keyed by the event, so it goes once).

Every operation takes ``on``, the day it happens (default today): the daily job passes its own
date, and the tests a frozen one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.accounts.models import Unit, User
from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import SYSTEM, require, require_admin, require_region
from keyprojects.core.uploads import require_kind, store_as
from keyprojects.core.validation import validate, would_change
from keyprojects.core.workdays import add_working_days, working_days_between
from keyprojects.notices import services as notices
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

from . import cadence, rules
from .models import (
    CadenceRule,
    Decision,
    EscalationRule,
    Meeting,
    MeetingAttachment,
    Problem,
    ProblemAttachment,
    ProblemEvent,
    overdue_q,
)

State, Event = Problem.State, ProblemEvent.Kind
ATTACHMENT_KINDS = ("docx", "pdf", "jpg", "png")
ATTACHMENT_MB = 20
RAISE_FIELDS = ["project", "region", "source", "category", "title", "description", "report", "decision", "leader"]
ASSIGN_FIELDS = ["lead_unit", "leader", "deadline"]
MEETING_FIELDS = ["kind", "title", "region", "chair", "date", "place", "minutes", "cadence_rule"]
GENERAL_PROBLEM_REGION = gettext_lazy("您不能在“%(region)s”提出不属于项目的问题")


def _day(on: date | None) -> date:
    return on or timezone.localdate()


def _moment(on: date | None) -> datetime:
    """When something done ``on`` a day happened: now, or noon of a day given (the job's, a test's)."""
    return timezone.now() if on is None else timezone.make_aware(datetime.combine(on, time(12, 0)))


def _locked(problem_id: int) -> Problem:
    return Problem.objects.select_for_update().get(pk=problem_id)


def _url(problem: Problem) -> str:
    return reverse("dispatch:problem", args=[problem.pk])


def _event(user: Any, problem: Problem, kind: str, day: date, text: str = "") -> ProblemEvent:
    actor = recorded(user)
    event = ProblemEvent(problem=problem, kind=kind, state=problem.state, date=day, actor=actor,
                         unit=actor.unit if actor is not None else None, text=text)
    event.save()
    return event


def _key(problem: Problem, event: ProblemEvent) -> str:
    return f"problem:{problem.pk}:{event.kind}:{event.pk}"


def _tell_units(key: str, units: Iterable[Unit | None], subject: str, body: str, url: str) -> None:
    for unit in {u for u in units if u is not None}:
        notices.notify_unit(key, unit, subject, body, url)


def _tell_users(key: str, users: Iterable[User | None], subject: str, body: str, url: str,
                units: Iterable[Unit] = ()) -> None:
    people = [u for u in users if u is not None]
    if people:
        notices.notify(key, people, subject, body, url, units=units)


def _tell_dispatchers(key: str, region: Region, subject: str, body: str, url: str) -> None:
    """The city admins of ``region`` (the dispatch secretariat of a level), and their units' channels."""
    dispatchers = list(User.objects.filter(role=User.Role.CITY_ADMIN, is_active=True, unit__region=region)
                       .select_related("unit"))
    _tell_users(key, dispatchers, subject, body, url, units={u.unit for u in dispatchers if u.unit is not None})


def _assigned_units(problem: Problem) -> list[Unit | None]:
    return [problem.lead_unit, *problem.co_units.all()]


def _leader_user(problem: Problem) -> User | None:
    leader = problem.leader
    return leader.user if leader is not None and leader.user_id else None


def _tell_raiser(key: str, problem: Problem, subject: str, body: str) -> None:
    if problem.raiser_unit_id:
        _tell_units(key, [problem.raiser_unit], subject, body, _url(problem))
    else:
        _tell_users(key, [problem.raised_by], subject, body, _url(problem))


# --- raising -------------------------------------------------------------------------

@acting_as
@transaction.atomic
def raise_problem(user: User, data: dict[str, Any], *, on: date | None = None) -> Problem:
    """Raise a problem (待交办); with a lead unit and a deadline in ``data`` it is assigned at
    once (办理中). A problem of a project is raised by who may change the project; a general
    one by who holds its region. A decision's problem keeps the decision and its meeting."""
    day = _day(on)
    if not rules.writes(user):
        raise PermissionDenied(_("您的角色只能查看，不能提出问题"))
    problem = Problem(**{f: data[f] for f in RAISE_FIELDS if data.get(f) is not None},
                      state=State.NEW, raised_on=day, raised_by=recorded(user),
                      raiser_unit=getattr(recorded(user), "unit", None))
    if problem.report is not None:
        require(user, "view", problem.report)
        problem.project = problem.project or problem.report.project
    if problem.project is not None:
        require(user, "edit", problem.project)
        problem.region = problem.project.region
    elif problem.region_id is None:
        raise ValidationError({"region": _("不属于项目的问题须选择所属区划")})
    else:
        require_region(user, problem.region, GENERAL_PROBLEM_REGION)
    if problem.decision is not None:
        require(user, "view", problem.decision.meeting)
        if Problem.objects.filter(decision=problem.decision).exists():
            raise ValidationError({"decision": _("该议定事项已转为问题")})
        problem.meeting = problem.decision.meeting
    validate(problem)
    problem.save()
    _event(user, problem, Event.RAISED, day, problem.description)
    require(user, "view", problem)
    if data.get("lead_unit") is not None or data.get("deadline") is not None:
        rules.require_may(user, problem, "assign")
        _assign(user, problem, data, day)
    return problem


def raise_from_report(user: User, report_id: int, *, on: date | None = None) -> Problem:
    """A monthly report's 存在问题 as a problem of its project, in one step: linked to the
    report, its text the description, its first line the summary, its category guessed from
    the words (to be checked while it awaits assignment)."""
    if not rules.writes(user):
        raise PermissionDenied(_("您的角色只能查看，不能提出问题"))
    report = ProgressReport.objects.select_related("project", "period").get(pk=report_id)
    require(user, "view", report)
    text = report.problems.strip()
    if not text:
        raise ValidationError({"problems": _("该月报没有填写存在问题")})
    raised = report.raised_problems.first()
    if raised is not None:
        raise ValidationError(_("该月报的存在问题已转为问题“%(title)s”") % {"title": raised.title})
    return raise_problem(user, {
        "project": report.project, "source": Problem.Source.REPORT, "category": guess_category(text),
        "title": summary(text), "description": text, "report": report}, on=on)


# Words that say what a blocker is about, in the order they are tried (环评手续 is 环评能评, not 手续).
CATEGORY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (Problem.Category.ENVIRONMENT, ("环评", "能评", "环境影响", "节能审查", "水土保持")),
    (Problem.Category.DEMOLITION, ("拆迁", "征地", "征收", "搬迁", "补偿")),
    (Problem.Category.LAND, ("用地", "土地", "林地", "耕地", "草原", "规划条件")),
    (Problem.Category.ENERGY, ("用能", "能耗", "能源指标")),
    (Problem.Category.FUNDING, ("资金", "融资", "贷款", "债券", "拨付", "到位")),
    (Problem.Category.UTILITIES, ("供电", "电力", "用电", "供水", "用水", "道路", "供气", "燃气", "通讯", "网络", "管网")),
    (Problem.Category.APPROVAL, ("手续", "审批", "许可", "备案", "核准", "批复", "立项", "验收")),
    (Problem.Category.CONSTRUCTION, ("施工", "工期", "材料", "天气", "冬季", "用工")),
]


def guess_category(text: str) -> str:
    for category, words in CATEGORY_WORDS:
        if any(word in text for word in words):
            return category
    return Problem.Category.OTHER


def summary(text: str, length: int = 100) -> str:
    """The first line of ``text``, numbering dropped ("1." "（一）"), at most ``length`` characters."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    first = re.sub(r"^(\d+[.、．]|[（(][一二三四五六七八九十\d]+[）)])\s*", "", first)
    return first if len(first) <= length else first[:length - 1] + "…"


def decision_data(decision: Decision) -> dict[str, Any]:
    """What a problem raised from a meeting's decision starts with (the form's initial values)."""
    meeting = decision.meeting
    agenda = list(meeting.projects.all()[:2])
    return {
        "decision": decision, "title": summary(decision.text), "description": decision.text,
        "source": Problem.Source.ON_SITE if meeting.kind == Meeting.Kind.ON_SITE else Problem.Source.MEETING,
        "project": agenda[0] if len(agenda) == 1 else None, "region": meeting.region,
        "category": guess_category(decision.text),
        "leader": meeting.chair,
    }


@acting_as
@transaction.atomic
def update_problem(user: User, problem_id: int, expected_version: int | None, data: dict[str, Any], *,
                   on: date | None = None) -> Problem:
    """Change what a problem awaiting assignment says (its project, region, source, category,
    summary and description)."""
    problem = _locked(problem_id)
    require(user, "view", problem)
    rules.require_may(user, problem, "edit")
    require(user, "edit", problem)
    _check_version(problem, expected_version)
    fields = ["project", "source", "category", "title", "description"]
    if data.get("project", problem.project) is None:
        fields.append("region")  # (a project's problem takes its project's region, whatever is sent)
    if not would_change(problem, data, fields):
        return problem  # nothing to save: the version stays
    for field in ("project", "region", "source", "category", "title", "description"):
        if field in data:
            setattr(problem, field, data[field])
    if problem.project is not None:
        require(user, "edit", problem.project)
        problem.region = problem.project.region
    else:
        require_region(user, problem.region, GENERAL_PROBLEM_REGION)
    validate(problem)
    problem.version += 1
    problem.save()
    _event(user, problem, Event.EDITED, _day(on))
    require(user, "view", problem)
    return problem


# --- the workflow ------------------------------------------------------------------------

@acting_as
@transaction.atomic
def assign(user: User, problem_id: int, expected_version: int | None, data: dict[str, Any], *,
           on: date | None = None) -> Problem:
    """交办: a lead unit, co-units, the leader in charge and a deadline. An escalated problem is
    assigned by the level it went to, whose deadline it then runs to."""
    problem = _locked(problem_id)
    require(user, "view", problem)
    rules.require_may(user, problem, "assign")
    require(user, "edit", problem)
    _check_version(problem, expected_version)
    _assign(user, problem, data, _day(on))
    return problem


def _assign(user: User, problem: Problem, data: dict[str, Any], day: date) -> None:
    if data.get("lead_unit") is None or data.get("deadline") is None:
        raise ValidationError({
            field: message for field, message in (("lead_unit", _("交办时必须指定牵头单位")),
                                                  ("deadline", _("交办时必须填写办理时限")))
            if data.get(field) is None})
    if data["deadline"] < day:
        raise ValidationError({"deadline": _("办理时限不能早于今天（%(date)s）") % {"date": day}})
    co_units = [unit for unit in data.get("co_units") or () if unit != data["lead_unit"]]
    problem.lead_unit, problem.leader = data["lead_unit"], data.get("leader")
    if problem.state == State.ESCALATED:
        problem.escalation_deadline = data["deadline"]  # the level above's own deadline
    else:
        problem.deadline = data["deadline"]
    problem.state, problem.overdue_since = State.IN_PROGRESS, None
    validate(problem)
    problem.version += 1
    problem.save()
    problem.co_units.set(co_units)
    parts = [_("牵头单位：%(unit)s") % {"unit": problem.lead_unit}]
    if co_units:
        parts.append(_("配合单位：%(units)s") % {"units": "、".join(str(u) for u in co_units)})
    if problem.leader_id:
        parts.append(_("包抓领导：%(leader)s") % {"leader": problem.leader})
    parts.append(_("办理时限：%(date)s") % {"date": problem.due})
    note = (data.get("text") or "").strip()
    event = _event(user, problem, Event.ASSIGNED, day, "；".join(parts) + (f"。{note}" if note else ""))
    subject = _("【交办】%(title)s（办理时限 %(date)s）") % {"title": problem.title, "date": problem.due}
    key = _key(problem, event)
    _tell_units(key, _assigned_units(problem), subject, event.text, _url(problem))
    _tell_users(key, [_leader_user(problem)], subject, event.text, _url(problem))
    require(user, "view", problem)


@acting_as
@transaction.atomic
def reply(user: User, problem_id: int, expected_version: int | None, text: str, *, done: bool = True,
          files: Sequence[Any] = (), on: date | None = None) -> Problem:
    """The lead unit's reply that the problem is solved (办结, awaiting the raiser's sign-off),
    or with ``done`` False a unit's progress (进展反馈), with attachments."""
    problem = _locked(problem_id)
    require(user, "view", problem)
    rules.require_may(user, problem, "reply" if done else "progress")
    require(user, "edit", problem)
    _check_version(problem, expected_version)
    if not text.strip():
        raise ValidationError({"text": _("请填写答复内容")})
    kinds = [require_kind(upload, ATTACHMENT_KINDS, ATTACHMENT_MB, "attachments") for upload in files]
    if done:
        problem.state = State.REPLIED
    problem.version += 1
    problem.save()
    event = _event(user, problem, Event.REPLIED if done else Event.PROGRESS, _day(on), text.strip())
    for upload, kind in zip(files, kinds, strict=True):
        name = store_as(upload, kind)
        ProblemAttachment(event=event, file=upload, name=name).save()
    if done:
        subject = _("【待销号】%(title)s 已办结，请核实销号") % {"title": problem.title}
        _tell_raiser(_key(problem, event), problem, subject, event.text)
    require(user, "view", problem)
    return problem


@acting_as
@transaction.atomic
def sign_off(user: User, problem_id: int, expected_version: int | None, text: str = "", *,
             on: date | None = None) -> Problem:
    """销号: the raiser's side accepts the reply; the problem is closed."""
    problem = _locked(problem_id)
    require(user, "view", problem)
    rules.require_may(user, problem, "sign_off")
    require(user, "edit", problem)
    _check_version(problem, expected_version)
    problem.state = State.CLOSED
    problem.signed_off_at, problem.signed_off_by = _moment(on), recorded(user)
    validate(problem)
    problem.version += 1
    problem.save()
    event = _event(user, problem, Event.SIGNED_OFF, _day(on), text.strip())
    subject = _("【已销号】%(title)s") % {"title": problem.title}
    _tell_units(_key(problem, event), _assigned_units(problem), subject, event.text, _url(problem))
    require(user, "view", problem)
    return problem


@acting_as
@transaction.atomic
def return_problem(user: User, problem_id: int, expected_version: int | None, reason: str, *,
                   on: date | None = None) -> Problem:
    """退回: the raiser's side rejects the reply, with its reason; the problem is in hand again."""
    problem = _locked(problem_id)
    require(user, "view", problem)
    rules.require_may(user, problem, "return")
    require(user, "edit", problem)
    _check_version(problem, expected_version)
    if not reason.strip():
        raise ValidationError({"reason": _("退回时必须填写原因")})
    problem.state = State.IN_PROGRESS
    problem.version += 1
    problem.save()
    event = _event(user, problem, Event.RETURNED, _day(on), reason.strip())
    subject = _("【退回】%(title)s：%(reason)s") % {"title": problem.title, "reason": summary(reason, 60)}
    _tell_units(_key(problem, event), [problem.lead_unit], subject, event.text, _url(problem))
    require(user, "view", problem)
    return problem


@acting_as
@transaction.atomic
def escalate(user: User, problem_id: int, expected_version: int | None, reason: str, deadline: date | None, *,
             on: date | None = None) -> Problem:
    """提级: a problem that cannot be solved at its level goes to the level above (a county's to
    the city, a city's to the province) with a deadline there, and waits for that level's
    dispatchers to assign it."""
    problem = _locked(problem_id)
    require(user, "view", problem)
    rules.require_may(user, problem, "escalate")
    require(user, "edit", problem)
    _check_version(problem, expected_version)
    if not reason.strip():
        raise ValidationError({"reason": _("提级时必须说明原因")})
    _escalate(user, problem, reason.strip(), deadline, _day(on))
    return problem


def _escalate(user: Any, problem: Problem, reason: str, deadline: date | None, day: date) -> None:
    above = problem.level.parent
    if above is None:
        raise ValidationError(_("“%(region)s”已是最高层级，不能再提级") % {"region": problem.level.name})
    if deadline is None:
        raise ValidationError({"deadline": _("提级时必须填写上级的办理时限")})
    if deadline < day:
        raise ValidationError({"deadline": _("办理时限不能早于今天（%(date)s）") % {"date": day}})
    problem.escalated_to, problem.escalation_deadline = above, deadline
    problem.state, problem.overdue_since = State.ESCALATED, None
    validate(problem)
    problem.version += 1
    problem.save()
    event = _event(user, problem, Event.ESCALATED, day,
                   _("提级至%(region)s，办理时限 %(date)s。%(reason)s") % {
                       "region": above.name, "date": deadline, "reason": reason})
    subject = _("【提级】%(title)s（%(region)s办理时限 %(date)s）") % {
        "title": problem.title, "region": above.name, "date": deadline}
    key = _key(problem, event)
    _tell_dispatchers(key, above, subject, event.text, _url(problem))
    _tell_units(key, [problem.lead_unit], subject, event.text, _url(problem))
    require(user, "view", problem)


# --- the daily 督办 -----------------------------------------------------------------------

def chase_overdue(today: date) -> dict[str, int]:
    """The daily job (``tasks.chase_overdue``): mark each problem past its deadline overdue
    (from the day after it) with a 督办 notice to its lead unit and its leader, then escalate
    those overdue longer than their category's ``EscalationRule`` allows. Each problem in its
    own transaction; running again the same day changes nothing more."""
    supervised = sum(supervise(SYSTEM, pk, today) for pk in Problem.objects.filter(
        overdue_q(today), overdue_since__isnull=True).order_by("pk").values_list("pk", flat=True))
    thresholds = {rule.category: rule for rule in EscalationRule.objects.filter(active=True)}
    escalated = 0
    for pk, category, since in Problem.objects.filter(overdue_q(today), overdue_since__isnull=False).order_by(
            "pk").values_list("pk", "category", "overdue_since"):
        rule = thresholds.get(category) or thresholds.get("")
        if rule is not None and since is not None and working_days_between(since, today) >= rule.after_days:
            escalated += escalate_overdue(SYSTEM, pk, today, rule.after_days, rule.deadline_days)
    return {"supervised": supervised, "escalated": escalated}


@acting_as
@transaction.atomic
def supervise(user: Any, problem_id: int, today: date) -> bool:
    """督办 an overdue problem once (``chase_overdue``); False if it is no longer overdue, or
    already marked."""
    problem = _locked(problem_id)
    require(user, "edit", problem)
    due = problem.due
    if not problem.is_overdue(today) or problem.overdue_since is not None or due is None:
        return False
    problem.overdue_since = due + timedelta(days=1)
    problem.version += 1
    problem.save()
    # (escalated straight from 待交办, it has no lead unit yet: its level's dispatchers are chased)
    who = problem.lead_unit or _("%(region)s调度部门") % {"region": problem.level.name}
    text = _("已超过办理时限（%(date)s），请%(who)s抓紧办理") % {"date": due, "who": who}
    _event(user, problem, Event.SUPERVISED, today, text)
    subject = _("【督办】%(title)s 已逾期（办理时限 %(date)s）") % {"title": problem.title, "date": due}
    key = f"problem:{problem.pk}:overdue:{today.isoformat()}"
    if problem.lead_unit_id:
        _tell_units(key, [problem.lead_unit], subject, text, _url(problem))
    else:
        _tell_dispatchers(key, problem.level, subject, text, _url(problem))
    _tell_users(key, [_leader_user(problem)], subject, text, _url(problem))
    return True


@acting_as
@transaction.atomic
def escalate_overdue(user: Any, problem_id: int, today: date, after_days: int, deadline_days: int) -> bool:
    """Escalate a problem overdue ``after_days`` working days, giving the level above
    ``deadline_days`` working days; False if it is no longer so, or there is no level above."""
    problem = _locked(problem_id)
    require(user, "edit", problem)
    since = problem.overdue_since
    if since is None or not problem.is_overdue(today) or problem.level.parent is None:
        return False
    if working_days_between(since, today) < after_days:
        return False
    reason = _("逾期 %(days)s 个工作日未办结，按提级规则自动提级") % {"days": after_days}
    _escalate(user, problem, reason, add_working_days(today, deadline_days), today)
    return True


# --- meetings -----------------------------------------------------------------------------

MEETING_REGION = gettext_lazy("您不能记录“%(region)s”的调度会")


@acting_as
@transaction.atomic
def save_meeting(user: User, meeting_id: int | None, expected_version: int | None, data: dict[str, Any],
                 decisions: list[tuple[int | None, str]] | None = None) -> Meeting:
    """Record a meeting (``meeting_id`` None) or change one: its facts, the units attending, the
    projects on its agenda and its decisions, in order (``(id or None, text)``; a decision left
    out is deleted unless it has become a problem). Meetings are recorded by who holds their
    region (the secretariat: a city admin, a county's clerk)."""
    if meeting_id is None:
        meeting = Meeting(created_by=recorded(user))
    else:
        meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
        require(user, "edit", meeting)
        _check_version(meeting, expected_version)
        if not would_change(meeting, data, [*MEETING_FIELDS, "units", "projects"]) \
                and not _decisions_change(meeting, decisions):
            return meeting  # nothing to save: the version stays
        meeting.version += 1
    for field in MEETING_FIELDS:
        if field in data:
            setattr(meeting, field, data[field])
    if meeting.region_id is None:
        raise ValidationError({"region": _("请选择调度会所属区划")})
    require_region(user, meeting.region, MEETING_REGION)
    rule = meeting.cadence_rule
    if rule is not None and rule.region_id != meeting.region_id:
        raise ValidationError({"cadence_rule": _("调度规则“%(rule)s”属于%(region)s，与调度会所属区划不一致") % {
            "rule": rule.name, "region": rule.region.name}})
    validate(meeting)
    meeting.save()
    for field in ("units", "projects"):
        if field in data:
            getattr(meeting, field).set(data[field])
    if decisions is not None:
        _save_decisions(meeting, decisions)
    require(user, "edit", meeting)
    return meeting


def _decisions_change(meeting: Meeting, decisions: list[tuple[int | None, str]] | None) -> bool:
    """Whether ``_save_decisions`` would add, change, reorder or delete one of the meeting's decisions."""
    if decisions is None:
        return False
    return [(pk, text.strip()) for pk, text in decisions] != [(d.pk, d.text) for d in meeting.decisions.all()]


def _save_decisions(meeting: Meeting, decisions: list[tuple[int | None, str]]) -> None:
    existing = {d.pk: d for d in meeting.decisions.all()}
    kept: set[int] = set()
    for order, (pk, text) in enumerate(decisions, start=1):
        if not text.strip():
            raise ValidationError({"decisions": _("第 %(n)s 项议定事项没有内容") % {"n": order}})
        if pk is None:
            decision = Decision(meeting=meeting)
        elif pk in existing:
            decision = existing[pk]
            kept.add(pk)
        else:
            raise ValidationError({"decisions": _("第 %(n)s 项议定事项不属于该调度会") % {"n": order}})
        if decision.pk is None or (decision.text, decision.order) != (text.strip(), order):
            decision.text, decision.order = text.strip(), order
            validate(decision)
            decision.save()
    for pk, decision in existing.items():
        if pk not in kept:
            if Problem.objects.filter(decision=decision).exists():
                raise ValidationError({"decisions": _("议定事项“%(text)s”已转为问题，不能删除") % {
                    "text": summary(decision.text, 30)}})
            decision.delete()


@acting_as
@transaction.atomic
def add_meeting_attachment(user: User, meeting_id: int, upload: Any, kind: str, caption: str = "") -> MeetingAttachment:
    """Minutes (.docx, .pdf) or photos of a meeting, checked by their content."""
    meeting = Meeting.objects.select_for_update().get(pk=meeting_id)
    require(user, "edit", meeting)
    name = store_as(upload, require_kind(upload, ATTACHMENT_KINDS, ATTACHMENT_MB))
    attachment = MeetingAttachment(meeting=meeting, file=upload, name=name, kind=kind, caption=caption,
                                   uploaded_by=recorded(user))
    validate(attachment)
    attachment.save()
    return attachment


# --- the cadence: reminders before each meeting due, flags of the missed ----------------------

CADENCE_FIELDS = ["name", "region", "chair", "kind", "every", "interval", "weekday", "starts_on", "reminder_days",
                  "active"]
CATCH_UP = timedelta(days=7)  # a missed meeting is still flagged when the job ran not for days, not later
CADENCE_REGION = gettext_lazy("您不能设置“%(region)s”的调度规则")


def secretariat(region: Region) -> list[User]:
    """The dispatch secretariat of ``region``: who records its meetings (``holds_region``: the
    city admins of a city, the clerks of a county) in a unit of the region itself."""
    return list(User.objects.filter(role__in=[User.Role.CITY_ADMIN, User.Role.COUNTY_CLERK], is_active=True,
                                    unit__region=region).select_related("unit"))


def record_url(item: cadence.Occurrence) -> str:
    """The form that records the meeting of ``item``, prefilled with its rule and day."""
    return reverse("dispatch:meeting_create") + "?" + urlencode({"rule": str(item.rule.pk),
                                                                 "date": item.scheduled.isoformat()})


def chase_cadence(today: date) -> dict[str, int]:
    """The daily job (``tasks.chase_cadence``): for each active rule, remind its region's
    secretariat of each meeting due within the rule's ``reminder_days`` and not held yet, and
    flag each meeting whose window ended without one (to the secretariat and the chair's unit).
    Each rule in its own transaction; the notices are keyed by the occurrence, so running again
    sends nothing twice."""
    totals = {"reminded": 0, "missed": 0}
    for pk in CadenceRule.objects.filter(active=True).order_by("pk").values_list("pk", flat=True):
        for key, count in chase_rule(SYSTEM, pk, today).items():
            totals[key] += count
    return totals


@acting_as
@transaction.atomic
def chase_rule(user: Any, rule_id: int, today: date) -> dict[str, int]:
    """The reminders and flags of one rule on ``today`` (``chase_cadence``): how many occurrences
    it told of (already told or not: the notices themselves are sent once)."""
    rule = CadenceRule.objects.select_related("region", "chair__user__unit").get(pk=rule_id)
    require(user, "view", rule)
    n = cadence.period_days(rule)
    items = cadence.occurrences(rule, today - CATCH_UP - timedelta(days=n), today + timedelta(days=n + 70))
    if not items:
        return {"reminded": 0, "missed": 0}
    opens, closes = cadence.window_span(items) or (today, today)
    items = cadence.matched(items, rule.meetings.filter(date__gte=opens, date__lt=closes), today)
    due = [i for i in items if i.state in (cadence.State.UPCOMING, cadence.State.DUE_TODAY) and i.remind_on <= today]
    missed = [i for i in items if i.state == cadence.State.MISSED and today - CATCH_UP < i.closes <= today]
    people = secretariat(rule.region)
    units = {u.unit for u in people if u.unit is not None}
    for item in due:
        subject = _("【调度提醒】%(day)s %(rule)s") % {"day": _month_day(item.scheduled), "rule": cadence.label(rule)}
        notices.notify(f"cadence:{rule.pk}:{item.due.isoformat()}:remind", people, subject,
                       _cadence_body(item, _("请做好会议准备，会后在系统中记录调度会。")), record_url(item), units=units)
    chair = rule.chair.user
    for item in missed:
        subject = _("【未按期调度】%(day)s %(rule)s 未召开") % {"day": _month_day(item.scheduled),
                                                             "rule": cadence.label(rule)}
        body = _cadence_body(item, _("%(opens)s至%(last)s之间没有记录该规则的调度会。") % {
            "opens": item.opens, "last": item.closes - timedelta(days=1)})
        key = f"cadence:{rule.pk}:{item.due.isoformat()}:missed"
        notices.notify(key, people, subject, body, record_url(item), units=units)
        if chair is not None and chair.unit is not None:
            notices.notify_unit(key, chair.unit, subject, body, record_url(item))
        elif chair is not None:
            notices.notify(key, [chair], subject, body, record_url(item))
    return {"reminded": len(due), "missed": len(missed)}


def _month_day(day: date) -> str:
    return _("%(month)s月%(day)s日") % {"month": day.month, "day": day.day}


def _cadence_body(item: cadence.Occurrence, ending: str) -> str:
    rule = item.rule
    lists = "、".join(str(x) for x in rule.lists.all()) or _("本区划全部重点项目")
    return _("%(region)s%(kind)s，主持：%(chair)s，调度清单：%(lists)s，应调度日期：%(day)s。%(ending)s") % {
        "region": rule.region.name, "kind": rule.get_kind_display(), "chair": rule.chair, "lists": lists,
        "day": item.scheduled, "ending": ending}


@acting_as
@transaction.atomic
def save_cadence_rule(user: User, rule_id: int | None, data: dict[str, Any]) -> CadenceRule:
    """Add a cadence rule (``rule_id`` None) or change one: the city admins of its region (and
    above) set them, as they manage the region's leaders and units."""
    if rule_id is None:
        rule = CadenceRule()
    else:
        rule = CadenceRule.objects.select_for_update().select_related("region").get(pk=rule_id)
        require(user, "edit", rule)
        require_admin(user, rule.region)
    for field in CADENCE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    if rule.region_id is None:
        raise ValidationError({"region": _("请选择调度规则所属区划")})
    require_admin(user, rule.region)
    require_region(user, rule.region, CADENCE_REGION)
    if rule.chair_id is not None and not rule.region.is_within(rule.chair.region):
        raise ValidationError({"chair": _("主持领导应是“%(region)s”或其上级的领导") % {"region": rule.region.name}})
    validate(rule)
    rule.save()
    if "lists" in data:
        rule.lists.set(data["lists"])
    require(user, "edit", rule)
    return rule
