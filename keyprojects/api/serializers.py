"""What the API returns. Amounts are decimal strings in 万元 (never floats)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
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


def money(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(**MONEY, coerce_to_string=True, read_only=True, **kwargs)


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

    def get_funding(self, project: Project) -> dict[str, str]:
        return {row.kind: format(row.amount, "f") for row in project.funding.all()}


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
