"""What the API returns. One format per kind of number, never a float: an amount is a decimal
string in 万元 with four places (to the yuan, "381924.0000"), a rate or a change of rate a
decimal string in percent (points) with one place ("65.8"), a count or an id an integer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from keyprojects.accounts.models import Unit, User
from keyprojects.alerts.models import Warning
from keyprojects.approvals.export import state_of
from keyprojects.approvals.models import ApprovalItem, ApprovalSchedule, ProjectApproval
from keyprojects.dispatch.models import (
    Decision,
    Meeting,
    MeetingAttachment,
    Problem,
    ProblemAttachment,
    ProblemEvent,
)
from keyprojects.projects.models import MONEY, AnnualPlan, Project
from keyprojects.regions.models import Region
from keyprojects.reporting.models import ProgressReport, ReportingPeriod

FOUR_PLACES = Decimal("0.0001")


def money(**kwargs: Any) -> serializers.DecimalField:
    """An amount in 万元: a decimal string with four places."""
    kwargs.setdefault("help_text", "万元（四位小数的十进制字符串）")
    return serializers.DecimalField(**MONEY, coerce_to_string=True, read_only=True, **kwargs)


def rate(**kwargs: Any) -> serializers.DecimalField:
    """A rate in percent, or its change in points: a decimal string with one place; null when
    there is nothing to divide by."""
    kwargs.setdefault("help_text", "百分比（或百分点），一位小数的十进制字符串；无法计算时为 null")
    return serializers.DecimalField(max_digits=7, decimal_places=1, coerce_to_string=True, read_only=True,
                                    allow_null=True, **kwargs)


class RegionSerializer(serializers.ModelSerializer):
    # (a declared field, which the serializer's metaclass takes out of the class: no clash with Field.parent)
    parent: serializers.SlugRelatedField[Region] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="code", read_only=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name", "full_name", "level", "parent"]


class RegionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "name"]


class UnitSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        model = Unit
        fields = ["id", "name", "region", "kind", "credit_code", "contact_person", "contact_phone"]


class PlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = AnnualPlan
        fields = ["year", "nature", "planned_investment", "prior_completed", "planned_start_month", "batch",
                  "started", "started_on", "version"]


class ProjectSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    sector_name = serializers.CharField(source="sector.name", read_only=True, default=None)
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None)
    responsible_unit_name = serializers.CharField(source="responsible_unit.name", read_only=True, default=None)
    funding = serializers.SerializerMethodField()
    plans = PlanSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            "id", "code", "name", "region", "address", "longitude", "latitude", "scope", "sector", "sector_name",
            "project_type", "investment_nature", "level", "stage", "owner", "owner_name", "responsible_unit",
            "responsible_unit_name", "leaders", "lists", "contact_person", "contact_phone", "planned_start",
            "actual_start", "planned_completion", "actual_completion", "total_investment", "funding", "plans",
            "version", "updated_at",
        ]

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "string", "format": "decimal"},
                          "description": "资金来源（万元，四位小数），键为资金类别"})
    def get_funding(self, project: Project) -> dict[str, str]:
        return {row.kind: format(row.amount.quantize(FOUR_PLACES), "f") for row in project.funding.all()}


class ProjectListSerializer(ProjectSerializer):
    """A row of the project list: with ``year``, that year's plan figures beside it."""

    annual_plan = money(allow_null=True)
    completed = money(allow_null=True, help_text="本年累计完成投资（截至 as_of 的最近一次已审核月报）")
    started_on = serializers.DateField(read_only=True, allow_null=True)

    class Meta(ProjectSerializer.Meta):
        fields = [f for f in ProjectSerializer.Meta.fields if f not in ("plans", "funding")] + [
            "annual_plan", "completed", "started_on"]


class PeriodSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        model = ReportingPeriod
        fields = ["id", "region", "year", "month", "opens_on", "closes_on", "state", "locked_at"]


class ReportSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    submitted_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    reviewed_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = ProgressReport
        fields = [
            "id", "project", "project_name", "period", "completed_month", "completed_ytd", "completed_since_start",
            "progress", "started", "started_on", "problems", "next_steps", "status", "late", "submitted_at",
            "submitted_by", "reviewed_at", "reviewed_by", "return_reason", "version", "updated_at",
        ]


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="打开时的版本号（必填）；已被他人修改则返回 409",
                                       error_messages={"required": "必须提供打开时的版本号 version（整数）"})


class StateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ReportingPeriod.State.choices)


# --- dispatch ------------------------------------------------------------------------

class DecisionSerializer(serializers.ModelSerializer):
    problem = serializers.SerializerMethodField(help_text="转为问题后的问题 id")

    class Meta:
        model = Decision
        fields = ["id", "order", "text", "problem"]

    def get_problem(self, decision: Decision) -> int | None:
        problem = getattr(decision, "problem", None)
        return problem.pk if problem is not None else None


class MeetingAttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingAttachment
        fields = ["id", "name", "kind", "caption", "uploaded_at"]


class MeetingSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    chair_name = serializers.CharField(source="chair.name", read_only=True, default=None)
    decisions = DecisionSerializer(many=True, read_only=True)
    attachments = MeetingAttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Meeting
        fields = ["id", "kind", "title", "region", "chair", "chair_name", "date", "place", "units", "projects",
                  "minutes", "cadence_rule", "decisions", "attachments", "version", "created_at", "updated_at"]


class ProblemEventSerializer(serializers.ModelSerializer):
    actor: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    unit: serializers.StringRelatedField[Unit] = serializers.StringRelatedField()
    attachments: serializers.SlugRelatedField[ProblemAttachment] = serializers.SlugRelatedField(
        slug_field="name", many=True, read_only=True)

    class Meta:
        model = ProblemEvent
        fields = ["id", "kind", "state", "date", "actor", "unit", "text", "attachments"]


class ProblemSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    escalated_to = RegionRefSerializer(read_only=True, allow_null=True)
    project_name = serializers.CharField(source="project.name", read_only=True, default=None)
    lead_unit_name = serializers.CharField(source="lead_unit.name", read_only=True, default=None)
    raiser_unit_name = serializers.CharField(source="raiser_unit.name", read_only=True, default=None)
    raised_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    signed_off_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    due = serializers.DateField(read_only=True, allow_null=True, help_text="当前办理时限（提级后为上级时限）")
    overdue = serializers.SerializerMethodField(help_text="是否逾期（办理中或已提级且超过当前办理时限）")

    class Meta:
        model = Problem
        fields = ["id", "project", "project_name", "region", "source", "category", "title", "description", "report",
                  "meeting", "decision", "lead_unit", "lead_unit_name", "co_units", "leader", "deadline", "state",
                  "due", "overdue", "raised_on", "raised_by", "raiser_unit", "raiser_unit_name", "escalated_to",
                  "escalation_deadline", "overdue_since", "signed_off_at", "signed_off_by", "version", "updated_at"]

    def get_overdue(self, problem: Problem) -> bool:
        return problem.is_overdue()


class ProblemDetailSerializer(ProblemSerializer):
    events = ProblemEventSerializer(many=True, read_only=True)

    class Meta(ProblemSerializer.Meta):
        fields = [*ProblemSerializer.Meta.fields, "events"]


# --- approvals (前期手续) ----------------------------------------------------------------

class ApprovalProjectSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        model = Project
        fields = ["id", "name", "region"]


class ApprovalItemRefSerializer(serializers.ModelSerializer):
    issuer = serializers.CharField(source="issuer_name", read_only=True, help_text="目录中的审批部门")

    class Meta:
        model = ApprovalItem
        fields = ["code", "name", "issuer"]


class ApprovalSerializer(serializers.ModelSerializer):
    """A project's approval item. ``state`` and ``late_days`` are judged on the list's ``as_of``
    (else today); ``document_url`` is the page's download, served in the user's scope."""

    project = ApprovalProjectSerializer(read_only=True)
    item = ApprovalItemRefSerializer(read_only=True)
    issuer_name = serializers.CharField(source="issuer.name", read_only=True, default=None,
                                        help_text="确认本事项的审批单位")
    state = serializers.SerializerMethodField(help_text="已办结、逾期未办结、未办结或已免办")
    late_days = serializers.SerializerMethodField(help_text="逾期天数（未逾期为 0）")
    document_url = serializers.SerializerMethodField(
        help_text="批复文件在网页上的下载地址（无文件时为 null）；用令牌请 GET /api/approvals/{id}/document/")

    class Meta:
        model = ProjectApproval
        fields = ["id", "project", "item", "issuer", "issuer_name", "required", "reason", "planned_from", "planned_on",
                  "critical", "obtained_on", "number", "valid_until", "confirmed_at", "note", "state", "late_days",
                  "document_url", "version", "updated_at"]

    def _state(self, approval: ProjectApproval) -> tuple[str, int]:
        return state_of(approval, self.context.get("day") or timezone.localdate())

    def get_state(self, approval: ProjectApproval) -> str:
        return self._state(approval)[0]

    def get_late_days(self, approval: ProjectApproval) -> int:
        return self._state(approval)[1]

    def get_document_url(self, approval: ProjectApproval) -> str | None:
        if not approval.document:
            return None
        url = reverse("approvals:document", args=[approval.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ApprovalScheduleSerializer(serializers.ModelSerializer):
    helper_name = serializers.CharField(source="helper.name", read_only=True, default=None)

    class Meta:
        model = ApprovalSchedule
        fields = ["path", "target_start", "helper", "helper_name", "scheduled_at", "version"]


class ProjectApprovalsSerializer(serializers.Serializer):
    """A project's backward schedule (null before it is first scheduled) and the items the user
    may see, by planned date."""

    project = ApprovalProjectSerializer(read_only=True)
    schedule = ApprovalScheduleSerializer(read_only=True, allow_null=True)
    approvals = ApprovalSerializer(many=True, read_only=True)


class DecisionInput(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False, allow_null=True,
                                  help_text="已有议定事项的 id；新增时不填")
    text = serializers.CharField(max_length=5000, help_text="议定事项")


class WarningSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True, default=None)
    acknowledged_by: serializers.StringRelatedField[User] = serializers.StringRelatedField()

    class Meta:
        model = Warning
        fields = ["id", "kind", "colour", "project", "project_name", "region", "key", "reason", "figures", "opened_on",
                  "closed_on", "acknowledged_by", "acknowledged_at", "acknowledged_note", "version"]


# --- totals and indicators (typed: a generated client reads them as classes) ---------------

class ProjectTotalsSerializer(serializers.Serializer):
    """The project list's totals row over every page (万元)."""

    count = serializers.IntegerField(read_only=True, help_text="项目个数")
    total_investment = money(help_text="总投资（万元）")
    annual_plan = money(allow_null=True, required=False, help_text="年度计划投资（万元；给出 year 时）")
    completed = money(allow_null=True, required=False, help_text="本年累计完成投资（万元；给出 year 时）")


class ApprovalTotalsSerializer(serializers.Serializer):
    """The approval ledger's totals row over every page."""

    count = serializers.IntegerField(read_only=True)
    required = serializers.IntegerField(read_only=True, help_text="需办理事项数")  # type: ignore[assignment]  # a declared field (the metaclass takes it out of the class)
    obtained = serializers.IntegerField(read_only=True, help_text="已办结事项数")
    late = serializers.IntegerField(read_only=True, help_text="逾期未办结事项数")


class FigureRowSerializer(serializers.Serializer):
    count = serializers.IntegerField(read_only=True)
    total_investment = money()
    annual_plan = money()


class RatesSerializer(serializers.Serializer):
    start_or_resume_rate = rate(help_text="开复工率（%）")
    new_start_rate = rate(help_text="新开工率（%）")
    continuing_resume_rate = rate(help_text="续建复工率（%）")
    completion_rate = rate(help_text="投资完成率（%）")
    time_progress = rate(help_text="时间进度（%）")
    progress_gap = rate(help_text="投资完成率与时间进度之差（百分点）")


class RateChangesSerializer(serializers.Serializer):
    """Each rate's change on the same day a year before (同比, points); null without last year's plan."""

    start_or_resume_rate = rate()
    new_start_rate = rate()
    continuing_resume_rate = rate()
    completion_rate = rate()
    approvals_completion_rate = rate()


class FiguresSerializer(serializers.Serializer):
    plan = FigureRowSerializer(read_only=True, help_text="年度计划项目")
    new_planned = FigureRowSerializer(read_only=True, help_text="计划新开工项目")
    continuing_planned = FigureRowSerializer(read_only=True, help_text="计划续建项目")
    started_or_resumed = FigureRowSerializer(read_only=True, help_text="已开复工项目")
    new_started = FigureRowSerializer(read_only=True, help_text="已新开工项目")
    continuing_resumed = FigureRowSerializer(read_only=True, help_text="已复工续建项目")
    completed_investment = money(help_text="本年累计完成投资（万元）")
    rates = RatesSerializer(read_only=True)


class BreakdownRowSerializer(FiguresSerializer):
    key = serializers.CharField(read_only=True, help_text="分组键（区划代码、行业/领导/清单 id 或类别代码），字符串")
    label = serializers.CharField(read_only=True)  # type: ignore[assignment]  # a declared field (the metaclass takes it out of the class)


class BreakdownsSerializer(serializers.Serializer):
    """The breakdowns asked for (``by``); by region only under a region."""

    region = BreakdownRowSerializer(many=True, read_only=True, required=False)
    sector = BreakdownRowSerializer(many=True, read_only=True, required=False)
    level = BreakdownRowSerializer(many=True, read_only=True, required=False)
    batch = BreakdownRowSerializer(many=True, read_only=True, required=False)
    nature = BreakdownRowSerializer(many=True, read_only=True, required=False)
    leader = BreakdownRowSerializer(many=True, read_only=True, required=False)
    list = BreakdownRowSerializer(many=True, read_only=True, required=False)


class ProblemFiguresSerializer(serializers.Serializer):
    raised = serializers.IntegerField(read_only=True)
    solved = serializers.IntegerField(read_only=True)
    open = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)
    on_time_rate = rate(help_text="按期办结率（%）")


class DispatchFiguresSerializer(serializers.Serializer):
    meetings = serializers.DictField(child=serializers.IntegerField(), read_only=True,
                                     help_text="调度会次数，按会议类型")
    problems = ProblemFiguresSerializer(read_only=True)


class WarningFiguresSerializer(serializers.Serializer):
    red = serializers.IntegerField(read_only=True)
    yellow = serializers.IntegerField(read_only=True)


class ApprovalFiguresSerializer(serializers.Serializer):
    required = serializers.IntegerField(read_only=True)  # type: ignore[assignment]  # a declared field (the metaclass takes it out of the class)
    obtained = serializers.IntegerField(read_only=True)
    late = serializers.IntegerField(read_only=True)
    completion_rate = rate(help_text="前期手续审批完成率（%）")


class IndicatorsSerializer(FiguresSerializer):
    """A region's indicators of a plan year as of a date (the figures of ``keyprojects stats``)."""

    region = serializers.CharField(read_only=True, allow_null=True)
    region_code = serializers.CharField(read_only=True, allow_null=True)
    year = serializers.IntegerField(read_only=True)
    as_of = serializers.DateField(read_only=True)
    months_elapsed = serializers.IntegerField(read_only=True)
    year_on_year = RateChangesSerializer(read_only=True)
    breakdowns = BreakdownsSerializer(read_only=True)
    dispatch = DispatchFiguresSerializer(read_only=True)
    warnings = WarningFiguresSerializer(read_only=True)
    approvals = ApprovalFiguresSerializer(read_only=True)
# --- 招商引资 (investment attraction) ------------------------------------------------------------
class AttractionEventSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        from keyprojects.attraction.models import Event

        model = Event
        fields = ["id", "kind", "title", "date", "place", "region", "leader", "leader_name", "unit", "unit_name",
                  "units", "note", "version"]


class LeadStageSerializer(serializers.Serializer):
    from_stage = serializers.CharField()
    to_stage = serializers.CharField()
    date = serializers.DateField()
    note = serializers.CharField()


class AgreementSerializer(serializers.Serializer):
    kind = serializers.CharField()
    signed_on = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=4)


class LeadSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    stages = LeadStageSerializer(many=True, read_only=True)
    agreements = AgreementSerializer(many=True, read_only=True)

    class Meta:
        from keyprojects.attraction.models import Lead

        model = Lead
        fields = ["id", "name", "region", "investor", "origin", "investor_place", "industry", "chain", "amount",
                  "event", "unit", "unit_name", "leader", "leader_name", "stage", "found_on", "talks_on",
                  "intention_on", "framework_on", "signed_on", "registered_on", "land_on", "landed_on", "started_on",
                  "operating_on", "died_on", "death_reason", "project", "stages", "agreements", "version"]
# --- funding rounds (资金申报) ------------------------------------------------------------------

class FundingRoundSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        from keyprojects.funding.models import Round

        model = Round
        fields = ["id", "region", "kind", "year", "batch", "deadline", "note", "approvals_complete",
                  "min_start_rate_applied", "min_start_rate_issued", "start_within_months", "spend_within_months",
                  "version"]


class FundingApplicationSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True, allow_null=True)
    region = RegionRefSerializer(source="project.region", read_only=True)

    class Meta:
        from keyprojects.funding.models import Application

        model = Application
        fields = ["id", "round", "project", "project_name", "project_code", "region", "requested", "proposed_on",
                  "state", "screening_note", "screened_on", "approved", "approved_on", "approval_number", "issued",
                  "issued_on", "issue_number", "spent", "spent_on", "version"]


# --- briefings (简报) ----------------------------------------------------------------------------

class BriefingSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)
    title = serializers.CharField(read_only=True, help_text="简报名称")
    issue = serializers.CharField(source="issue_label", read_only=True, help_text="期号（如“2022年第3期”；未发布的为状态与截止日期）")
    docx = serializers.SerializerMethodField(help_text="已发布的 Word 文件的下载地址；未发布时为 null")
    pdf = serializers.SerializerMethodField(help_text="已发布的 PDF 文件的下载地址；未发布时为 null")

    class Meta:
        from keyprojects.briefings.models import Briefing

        model = Briefing
        fields = ["id", "region", "year", "as_of", "kind", "state", "number", "title", "issue", "headline",
                  "next_steps", "editor_note", "generated_at", "approved_at", "published_at", "docx", "pdf", "version"]

    def _file(self, briefing: Any, fmt: str) -> str | None:
        if briefing.state != "published" or not getattr(briefing, fmt):
            return None
        return reverse(f"api:briefing-{fmt}", args=[briefing.pk])

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_docx(self, briefing: Any) -> str | None:
        return self._file(briefing, "docx")

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_pdf(self, briefing: Any) -> str | None:
        return self._file(briefing, "pdf")


# --- assessment (考核排名): periods, their ranks and values from the frozen snapshot ---------------

class SchemeRefSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        from keyprojects.assessment.models import Scheme

        model = Scheme
        fields = ["id", "name", "year", "period_kind", "region"]


class AssessmentPeriodSerializer(serializers.ModelSerializer):
    """A period of a scheme: its snapshot (取数) and whether it is published (通报)."""

    scheme = SchemeRefSerializer(read_only=True)
    published = serializers.BooleanField(read_only=True)

    class Meta:
        from keyprojects.assessment.models import Snapshot

        model = Snapshot
        fields = ["id", "scheme", "period", "as_of", "taken_at", "published", "published_at"]


def points(**kwargs: Any) -> serializers.DecimalField:
    """Points of a score (分): a decimal string with two places."""
    kwargs.setdefault("help_text", "分（两位小数的十进制字符串）")
    return serializers.DecimalField(max_digits=9, decimal_places=2, coerce_to_string=True, read_only=True, **kwargs)


class AssessmentValuesSerializer(serializers.Serializer):
    """A member's values as the snapshot froze them (null: not scored, or nothing to divide by)."""

    completion_rate = rate(help_text="投资完成率（%）")
    start_or_resume_rate = rate(help_text="开复工率（%）")
    new_start_rate = rate(help_text="新项目开工率（%）")
    progress_gap = rate(help_text="超/慢时间进度（百分点）")
    completed_investment = money(allow_null=True, help_text="本年完成投资（万元）")
    overdue_problems = serializers.IntegerField(read_only=True, allow_null=True, help_text="逾期未办结问题（件）")
    late_reports = serializers.IntegerField(read_only=True, allow_null=True, help_text="逾期或未报送月报（件）")
    red_warnings = serializers.IntegerField(read_only=True, allow_null=True, help_text="红色预警（件）")
    task_on_time_rate = rate(help_text="任务按期完成率（%）")
    overdue_tasks = serializers.IntegerField(read_only=True, allow_null=True, help_text="逾期未完成任务（件）")


class AssessmentLineSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True, help_text="取值（values 中的键）")
    formula = serializers.CharField(read_only=True, help_text="计分方法：ratio_best、ratio_target、per_point、per_event")
    weight = points(help_text="权重（分）")


class AssessmentRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(read_only=True, help_text="名次（同分并列）")
    key = serializers.CharField(read_only=True, help_text="考核对象：县区为区划代码，部门为 unit:<单位 id>")
    name = serializers.CharField(read_only=True)
    score = points(help_text="总分")
    points = serializers.ListField(child=points(), read_only=True, help_text="各考核指标得分，顺序同 lines")
    movement = serializers.CharField(read_only=True, help_text="与上期相比的名次升降（↑2、↓1、—）；无上期时为空")
    values = AssessmentValuesSerializer(read_only=True)


class AssessmentGroupSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    member_kind = serializers.CharField(read_only=True, help_text="考核对象类别：county、zone、unit")
    lines = AssessmentLineSerializer(many=True, read_only=True)
    rows = AssessmentRowSerializer(many=True, read_only=True)
    red_list = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="红榜（前N名）")
    black_list = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="黑榜（后N名）")


class AssessmentRankingSerializer(serializers.Serializer):
    """A period's ranking computed from its snapshot alone: a published one ranks the same however
    the figures are corrected later (the corrections since are ``notes``, for who reads the city)."""

    id = serializers.IntegerField(read_only=True)
    scheme = SchemeRefSerializer(read_only=True)
    period = serializers.CharField(read_only=True, help_text="考核期：月份如 2022-05，季度如 2022-Q1")
    as_of = serializers.DateField(read_only=True, help_text="数据截止日期")
    taken_at = serializers.DateTimeField(read_only=True)
    published = serializers.BooleanField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    tie_break = serializers.CharField(read_only=True, help_text="同分排序规则")
    time_progress = rate(help_text="时间进度（%）")
    groups = AssessmentGroupSerializer(many=True, read_only=True)
    notes = serializers.ListField(child=serializers.CharField(), read_only=True,
                                  help_text="取数后的数据更正（排名仍以取数时为准）；只有看得到全市数据的用户才有")


class RankHistoryRowSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    ranks = serializers.ListField(child=serializers.IntegerField(allow_null=True), read_only=True,
                                  help_text="各期名次，顺序同 periods；未参加排名的期为 null")


class RankHistorySerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True, help_text="考核组")
    periods = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="已发布的考核期")
    rows = RankHistoryRowSerializer(many=True, read_only=True)


# --- task lists (任务清单) -------------------------------------------------------------------------

class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Unit
        fields = ["id", "name"]


class TaskTotalsSerializer(serializers.Serializer):
    """The task list's totals over every page, as of the filter's date (the figures' counts)."""

    tasks = serializers.IntegerField(read_only=True, help_text="任务数")
    done = serializers.IntegerField(read_only=True, help_text="已完成")
    on_time = serializers.IntegerField(read_only=True, help_text="按期完成")
    overdue = serializers.IntegerField(read_only=True, help_text="逾期未完成")
    on_time_rate = rate(help_text="任务按期完成率（%）")


class TaskAreaSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer(read_only=True)

    class Meta:
        from keyprojects.tasklists.models import Area

        model = Area
        fields = ["id", "region", "year", "number", "name"]


class TaskSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True, help_text="清单编号（方面-任务）")
    area = TaskAreaSerializer(read_only=True)
    lead_unit = UnitRefSerializer(read_only=True)
    co_units = UnitRefSerializer(many=True, read_only=True)
    leader_name = serializers.CharField(source="leader.name", read_only=True, default=None)
    overdue = serializers.SerializerMethodField(help_text="统计日期（as_of，默认今天）时是否逾期未完成")

    class Meta:
        from keyprojects.tasklists.models import Task

        model = Task
        fields = ["id", "code", "area", "year", "number", "title", "lead_unit", "co_units", "leader", "leader_name",
                  "deadline", "state", "completed_on", "overdue", "version"]

    def get_overdue(self, task: Any) -> bool:
        return bool(task.is_overdue(self.context.get("day") or timezone.localdate()))


class TaskMilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        from keyprojects.tasklists.models import Milestone

        model = Milestone
        fields = ["id", "title", "due", "reached_on"]


class TaskTargetSerializer(serializers.ModelSerializer):
    target = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True,
                                      help_text="目标值（计量单位见 unit；两位小数的十进制字符串）")
    actual = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True,
                                      allow_null=True, help_text="最近报送的当前值")

    class Meta:
        from keyprojects.tasklists.models import Target

        model = Target
        fields = ["id", "name", "unit", "target", "actual", "actual_on"]


class TaskUpdateValueSerializer(serializers.Serializer):
    target = serializers.IntegerField(source="target_id", read_only=True, help_text="指标 id")
    value = serializers.DecimalField(max_digits=14, decimal_places=2, coerce_to_string=True, read_only=True)


class TaskUpdateSerializer(serializers.ModelSerializer):
    author: serializers.StringRelatedField[User] = serializers.StringRelatedField()
    unit = UnitRefSerializer(read_only=True, allow_null=True)
    values = TaskUpdateValueSerializer(many=True, read_only=True)

    class Meta:
        from keyprojects.tasklists.models import Update

        model = Update
        fields = ["id", "on", "text", "reports_done", "author", "unit", "created_at", "values"]


class TaskDetailSerializer(TaskSerializer):
    milestones = TaskMilestoneSerializer(many=True, read_only=True)
    targets = TaskTargetSerializer(many=True, read_only=True)
    updates = TaskUpdateSerializer(many=True, read_only=True)

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "description", "milestones", "targets", "updates"]


class TaskUpdateValueInput(serializers.Serializer):
    target = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="指标 id（该任务的）")
    value = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0, coerce_to_string=True,
                                     help_text="当前值（不小于 0）")


class TaskUpdateInput(serializers.Serializer):
    """A progress update, as on the task's update page (``tasklists.services.record_update``)."""

    version = serializers.IntegerField(min_value=1, help_text="打开任务时的版本号；已被他人修改则返回 409")
    on = serializers.DateField(help_text="进展日期（不晚于今天）")
    text = serializers.CharField(max_length=2000, help_text="工作进展")
    values = serializers.ListField(child=TaskUpdateValueInput(), required=False, max_length=200,
                                   help_text="各目标指标的当前值")
    milestones = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
                                       required=False, max_length=200, help_text="本次完成的节点 id")
    done = serializers.BooleanField(required=False, default=False, help_text="任务已全部完成")
