"""Dispatch (调度): the meetings leaders hold on a cadence, their decisions, and the problem
ledger (问题台账) — blockers raised from reports, meetings and visits, assigned to a unit with a
deadline (交办), replied to, chased when overdue (督办), escalated to the level above when they
cannot be solved there (提级) and signed off by the side that raised them (销号).

Decisions, timeline events and attachments are reached through their meeting or problem (the
pages and the API find those through ``visible_to`` first); they declare no scope of their own.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import In, IsNull, LessThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Leader, Unit, User
from keyprojects.core.audit import audited
from keyprojects.core.versions import InRegion, Touched
from keyprojects.projects.models import Project, ProjectList
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


class MeetingKind(models.TextChoices):
    CONCENTRATED = "concentrated", _("集中调度")
    SINGLE_PROJECT = "single_project", _("单体项目调度")
    ON_SITE = "on_site", _("现场调度")
    CLOUD = "cloud", _("云调度")


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("星期一")
    TUESDAY = 2, _("星期二")
    WEDNESDAY = 3, _("星期三")
    THURSDAY = 4, _("星期四")
    FRIDAY = 5, _("星期五")
    SATURDAY = 6, _("星期六")
    SUNDAY = 7, _("星期日")


class OfParent:
    """A row that belongs to a meeting or a problem: writing it changes what its parent's
    writes change (None, every figure, when the parent is gone in the same delete)."""

    parent_name = ""

    def touched(self) -> Touched | None:
        try:
            return getattr(self, self.parent_name).touched()
        except ObjectDoesNotExist:
            return None


class CadenceRuleQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer) -> CadenceRuleQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class CadenceRule(InRegion, models.Model):
    """A dispatch cadence as data (Dingxi's "3246": the executive deputy mayor every 2 weeks,
    the mayor every 4, the party secretary every 6): who chairs, how often from a first date,
    over which lists of projects (none: all key projects of the region), and how many days
    before a meeting the secretariat is reminded. The calendar, the reminders and the flags of
    missed meetings are built on these rows."""

    class Interval(models.TextChoices):
        WEEKS = "weeks", _("周")
        DAYS = "days", _("天")

    name = models.CharField(_("名称"), max_length=64)
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="cadence_rules")
    chair = models.ForeignKey(Leader, verbose_name=_("主持领导"), on_delete=models.PROTECT,
                              related_name="cadence_rules")
    kind = models.CharField(_("调度类型"), max_length=16, choices=MeetingKind.choices,
                            default=MeetingKind.CONCENTRATED)
    every = models.PositiveSmallIntegerField(_("间隔"), validators=[MinValueValidator(1), MaxValueValidator(366)])
    interval = models.CharField(_("间隔单位"), max_length=8, choices=Interval.choices, default=Interval.WEEKS)
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=Weekday.choices, null=True, blank=True)
    starts_on = models.DateField(_("首次调度日期"))
    lists = models.ManyToManyField(ProjectList, verbose_name=_("调度清单"), blank=True, related_name="cadence_rules",
                                   help_text=_("不选则为本区划全部重点项目"))
    reminder_days = models.PositiveSmallIntegerField(_("提前提醒天数"), default=2,
                                                     validators=[MaxValueValidator(60)])
    active = models.BooleanField(_("启用"), default=True)

    objects = CadenceRuleQuerySet.as_manager()
    history = audited(m2m_fields=[lists])

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("调度规则")
        verbose_name_plural = _("调度规则")
        ordering = ["region__code", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.interval == self.Interval.WEEKS and self.weekday is None:
            errors["weekday"] = _("按周调度请选择星期几")
        if self.interval == self.Interval.DAYS and self.weekday is not None:
            errors["weekday"] = _("按天调度不需要选择星期")
        if self.weekday and self.starts_on and self.starts_on.isoweekday() != self.weekday:
            errors["starts_on"] = _("首次调度日期应是%(weekday)s") % {"weekday": Weekday(self.weekday).label}
        if errors:
            raise ValidationError(errors)


class MeetingQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer) -> MeetingQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Meeting(InRegion, models.Model):
    """A dispatch meeting (调度会) of a region: its region's users see it, and the units attending
    (a county's government at a city meeting)."""

    Kind = MeetingKind

    kind = models.CharField(_("调度类型"), max_length=16, choices=MeetingKind.choices)
    title = models.CharField(_("会议名称"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="meetings")
    chair = models.ForeignKey(Leader, verbose_name=_("主持领导"), null=True, blank=True, on_delete=models.PROTECT,
                              related_name="meetings_chaired")
    date = models.DateField(_("会议日期"))
    place = models.CharField(_("地点"), max_length=200, blank=True)
    units = models.ManyToManyField(Unit, verbose_name=_("参会单位"), blank=True, related_name="meetings_attended")
    projects = models.ManyToManyField(Project, verbose_name=_("调度项目"), blank=True, related_name="meetings")
    minutes = models.TextField(_("会议纪要"), blank=True)
    cadence_rule = models.ForeignKey(CadenceRule, verbose_name=_("调度规则"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="meetings")
    created_by = models.ForeignKey(User, verbose_name=_("记录人"), null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = MeetingQuerySet.as_manager()
    history = audited(m2m_fields=[units, projects])

    scope_paths = {"region": "region", "units": {"view": ("units",)}}

    class Meta:
        verbose_name = _("调度会")
        verbose_name_plural = _("调度会")
        ordering = ["-date", "-pk"]
        indexes = [models.Index(fields=["region", "date"])]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"


class Decision(OfParent, models.Model):
    """A decision of a meeting (会议议定事项); it may become one problem, which keeps it."""

    parent_name = "meeting"

    meeting = models.ForeignKey(Meeting, verbose_name=_("调度会"), on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField(_("议定事项"))
    order = models.PositiveSmallIntegerField(_("序号"), default=1)

    history = audited()

    class Meta:
        verbose_name = _("议定事项")
        verbose_name_plural = _("议定事项")
        ordering = ["meeting", "order", "pk"]

    def __str__(self) -> str:
        return self.text[:60]


class MeetingAttachment(models.Model):
    class Kind(models.TextChoices):
        MINUTES = "minutes", _("会议纪要")
        PHOTO = "photo", _("现场照片")
        OTHER = "other", _("其他")

    meeting = models.ForeignKey(Meeting, verbose_name=_("调度会"), on_delete=models.CASCADE,
                                related_name="attachments")
    file = models.FileField(_("文件"), upload_to="dispatch/meetings/%Y/%m/", max_length=255)
    name = models.CharField(_("文件名"), max_length=200)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.OTHER)
    caption = models.CharField(_("说明"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(User, verbose_name=_("上传人"), null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("会议附件")
        verbose_name_plural = _("会议附件")
        ordering = ["meeting", "pk"]

    def __str__(self) -> str:
        return self.caption or self.name

    def touched(self) -> Touched:
        return set()  # no figure counts files


class ProblemQuerySet(models.QuerySet):
    def visible_to(self, user: Viewer) -> ProblemQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Problem(InRegion, models.Model):
    """A problem of the ledger. Its region is its project's (or chosen, for a general blocker);
    ``escalated_to`` is the level it has been escalated to, which handles it from then on with
    ``escalation_deadline`` as its deadline (``level``, ``due``)."""

    class Source(models.TextChoices):
        REPORT = "report", _("月报存在问题")
        MEETING = "meeting", _("调度会")
        ON_SITE = "on_site", _("现场调度")
        PUBLIC = "public", _("群众监督")
        PROVINCE = "province", _("省督办")
        SITE_VISIT = "site_visit", _("实地走访")

    class Category(models.TextChoices):
        LAND = "land", _("用地")
        ENERGY = "energy", _("用能")
        FUNDING = "funding", _("资金")
        APPROVAL = "approval", _("手续审批")
        DEMOLITION = "demolition", _("征地拆迁")
        ENVIRONMENT = "environment", _("环评能评")
        UTILITIES = "utilities", _("水电路气讯")
        CONSTRUCTION = "construction", _("施工条件")
        OTHER = "other", _("其他")

    class State(models.TextChoices):
        NEW = "new", _("待交办")
        IN_PROGRESS = "in_progress", _("办理中")
        REPLIED = "replied", _("已办结")
        CLOSED = "closed", _("已销号")
        ESCALATED = "escalated", _("已提级")

    project = models.ForeignKey(Project, verbose_name=_("项目"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="problems")
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="problems")
    source = models.CharField(_("问题来源"), max_length=16, choices=Source.choices)
    category = models.CharField(_("问题类别"), max_length=16, choices=Category.choices)
    title = models.CharField(_("问题摘要"), max_length=200)
    description = models.TextField(_("问题描述"), blank=True)
    report = models.ForeignKey(ProgressReport, verbose_name=_("来源月报"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="raised_problems")
    meeting = models.ForeignKey(Meeting, verbose_name=_("来源调度会"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="problems")
    decision = models.OneToOneField(Decision, verbose_name=_("来源议定事项"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="problem")
    lead_unit = models.ForeignKey(Unit, verbose_name=_("牵头单位"), null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="led_problems")
    co_units = models.ManyToManyField(Unit, verbose_name=_("配合单位"), blank=True, related_name="co_problems")
    leader = models.ForeignKey(Leader, verbose_name=_("包抓领导"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="problems")
    deadline = models.DateField(_("办理时限"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.NEW)
    raised_on = models.DateField(_("提出日期"), default=timezone.localdate)
    raised_by = models.ForeignKey(User, verbose_name=_("提出人"), null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    raiser_unit = models.ForeignKey(Unit, verbose_name=_("提出单位"), null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="raised_problems")
    escalated_to = models.ForeignKey(Region, verbose_name=_("提级至"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="escalated_problems")
    escalation_deadline = models.DateField(_("提级后办理时限"), null=True, blank=True)
    overdue_since = models.DateField(_("逾期起始日"), null=True, blank=True)
    signed_off_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    signed_off_by = models.ForeignKey(User, verbose_name=_("销号人"), null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ProblemQuerySet.as_manager()
    history = audited(m2m_fields=[co_units])

    # The units linked to a problem reach it whatever their users' role scope: the lead unit and
    # co-units (to reply), and the unit that raised it (to sign it off).
    LINKED_UNITS = ("lead_unit", "co_units", "raiser_unit")
    scope_paths = {
        "region": "region",
        "responsible_unit": "project__responsible_unit",
        "owner": "project__owner",
        "units": {"view": LINKED_UNITS, "edit": LINKED_UNITS},
    }

    class Meta:
        verbose_name = _("问题")
        verbose_name_plural = _("问题")
        ordering = ["-raised_on", "-pk"]
        indexes = [models.Index(fields=["region", "state"]), models.Index(fields=["state", "deadline"])]

    def __str__(self) -> str:
        return self.title

    @property
    def level(self) -> Region:
        """The region whose dispatch handles the problem now: the one it was escalated to, else
        its own."""
        return self.escalated_to or self.region

    @property
    def due(self) -> date | None:
        """The deadline running now: the escalation's once escalated."""
        return self.escalation_deadline or self.deadline

    def is_overdue(self, today: date | None = None) -> bool:
        due = self.due
        return self.state in CHASED and due is not None and due < (today or timezone.localdate())

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.state in (self.State.IN_PROGRESS, self.State.REPLIED, self.State.CLOSED):
            if self.lead_unit_id is None:
                errors["lead_unit"] = _("交办时必须指定牵头单位")
            if self.deadline is None:
                errors["deadline"] = _("交办时必须填写办理时限")
        if self.deadline and self.raised_on and self.deadline < self.raised_on:
            errors["deadline"] = _("办理时限不能早于提出日期（%(date)s）") % {"date": self.raised_on}
        if self.escalated_to_id and self.escalation_deadline is None:
            errors["escalation_deadline"] = _("提级时必须填写提级后的办理时限")
        if self.report is not None and self.project_id and self.report.project_id != self.project_id:
            errors["report"] = _("来源月报不是该项目的月报")
        if errors:
            raise ValidationError(errors)


CHASED = (Problem.State.IN_PROGRESS, Problem.State.ESCALATED)  # states whose deadline runs (and is chased)
OPEN = (Problem.State.NEW, Problem.State.IN_PROGRESS, Problem.State.REPLIED, Problem.State.ESCALATED)


def past_due(day: date, state: Any, escalation_deadline: Any, deadline: Any) -> Q:
    """The one definition of 逾期: in hand (办理中, 已提级) and past the deadline running on
    ``day`` (the escalation's once there is one). Over expressions of the three fields: the
    fields as they are (``overdue_q``) or as they stood on a past day (``overdue_on_q``)."""
    return Q(In(state, CHASED)) & (Q(LessThan(escalation_deadline, day))
                                   | (Q(IsNull(escalation_deadline, True)) & Q(LessThan(deadline, day))))


def overdue_q(today: date, prefix: str = "") -> Q:
    """Problems past the deadline running now and not replied to: 逾期 for the ledger's filter,
    the to-do and the daily job."""
    return past_due(today, F(f"{prefix}state"), F(f"{prefix}escalation_deadline"), F(f"{prefix}deadline"))


def state_on(day: date) -> Coalesce:
    """The state a problem was in at the end of ``day``: that of its timeline's last entry by
    then (every change of state writes one); the state now for a problem without a timeline."""
    last = ProblemEvent.objects.filter(problem=OuterRef("pk"), date__lte=day).order_by("-date", "-pk")
    return Coalesce(Subquery(last.values("state")[:1]), F("state"))


def overdue_on_q(day: date) -> Q:
    """逾期 as things stood at the end of ``day`` (``past_due`` over the state then, and over the
    escalation's deadline only if it had been escalated by then), for figures as of a date.
    The deadlines are read as stored: one the level above set after ``day`` in place of the
    escalation's first counts from the start of the escalation."""
    escalations = ProblemEvent.objects.filter(problem=OuterRef("pk"), kind=ProblemEvent.Kind.ESCALATED)
    escalated_later = ~Exists(escalations.filter(date__lte=day)) & Exists(escalations.filter(date__gt=day))
    escalation_deadline = Case(When(escalated_later, then=Value(None)), default=F("escalation_deadline"),
                               output_field=models.DateField())
    # (what past_due needs, on the stored fields first: the timeline's subqueries then run only
    # for the problems still open with a deadline gone by — the province's figures read 55,000)
    could_be = (Q(raised_on__lte=day) & (Q(signed_off_at__isnull=True) | Q(signed_off_at__date__gt=day))
                & (Q(deadline__lt=day) | Q(escalation_deadline__lt=day)))
    return could_be & past_due(day, state_on(day), escalation_deadline, F("deadline"))


class ProblemEvent(OfParent, models.Model):
    """A line of a problem's timeline: a change of state, a reply, a return with its reason, an
    escalation, a 督办 notice — who, of which unit, what and when."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("提出")
        EDITED = "edited", _("修改")
        ASSIGNED = "assigned", _("交办")
        PROGRESS = "progress", _("进展反馈")
        REPLIED = "replied", _("办结答复")
        RETURNED = "returned", _("退回")
        SIGNED_OFF = "signed_off", _("销号")
        ESCALATED = "escalated", _("提级")
        SUPERVISED = "supervised", _("督办")

    parent_name = "problem"

    problem = models.ForeignKey(Problem, verbose_name=_("问题"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事项"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("办理后状态"), max_length=12, choices=Problem.State.choices)
    date = models.DateField(_("日期"))
    actor = models.ForeignKey(User, verbose_name=_("办理人"), null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("办理单位"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    text = models.TextField(_("内容"), blank=True)
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    history = audited()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["problem", "date", "pk"]
        # figures as of a date ask whether and when a problem was escalated (overdue_on_q)
        indexes = [models.Index(fields=["problem", "kind", "date"], name="dispatch_event_problem_kind")]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class ProblemAttachment(models.Model):
    event = models.ForeignKey(ProblemEvent, verbose_name=_("办理记录"), on_delete=models.CASCADE,
                              related_name="attachments")
    file = models.FileField(_("文件"), upload_to="dispatch/problems/%Y/%m/", max_length=255)
    name = models.CharField(_("文件名"), max_length=200)

    history = audited()

    class Meta:
        verbose_name = _("办理附件")
        verbose_name_plural = _("办理附件")
        ordering = ["event", "pk"]

    def __str__(self) -> str:
        return self.name

    def touched(self) -> Touched:
        return set()  # no figure counts files


class EscalationRule(models.Model):
    """When the daily job escalates an overdue problem (data, set in the admin): so many working
    days after it became overdue, giving the level above so many working days. The rule of a
    category applies to its problems, the rule without one to every other."""

    category = models.CharField(_("问题类别"), max_length=16, choices=Problem.Category.choices, blank=True,
                                unique=True, help_text=_("留空：适用于未单独设置的类别"))
    after_days = models.PositiveSmallIntegerField(_("逾期后提级（工作日）"), validators=[MinValueValidator(1)])
    deadline_days = models.PositiveSmallIntegerField(_("提级后办理时限（工作日）"), validators=[MinValueValidator(1)])
    active = models.BooleanField(_("启用"), default=True)

    history = audited()

    class Meta:
        verbose_name = _("提级规则")
        verbose_name_plural = _("提级规则")
        ordering = ["category"]

    def __str__(self) -> str:
        label = self.get_category_display() if self.category else _("其他类别")
        return f"{label}：逾期 {self.after_days} 个工作日后提级"

    def touched(self) -> Touched:
        return set()  # a threshold, not a figure
