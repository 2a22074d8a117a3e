"""The REST API: thin views over the same filters, forms and services as the web pages.

Reads go through the permission chokepoint (``restrict``/``regions_for``/``nearby``), so a
county token sees only its county (404 outside); writes call the services, which check
scope again inside their transaction (403 for read-only roles), verify versions (409) and
record the audit trail with source "api".
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import django_filters as filters
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from keyprojects.accounts import services as account_services
from keyprojects.accounts.filters import UnitFilter
from keyprojects.accounts.forms import UnitForm
from keyprojects.accounts.models import Unit
from keyprojects.alerts import services as alert_services
from keyprojects.alerts.filters import WarningFilter
from keyprojects.alerts.models import Warning
from keyprojects.approvals import services as approval_services
from keyprojects.approvals.filters import ApprovalFilter
from keyprojects.approvals.filters import counted as approval_counts
from keyprojects.approvals.filters import ordered as approvals_ordered
from keyprojects.approvals.filters import totals_from as approval_totals
from keyprojects.approvals.forms import AdjustForm, RecordForm, ScheduleForm
from keyprojects.approvals.models import ApprovalSchedule, ProjectApproval
from keyprojects.approvals.models import default_path as default_approval_path
from keyprojects.assessment import periods as assessment_periods
from keyprojects.assessment import ranking as assessment_ranking
from keyprojects.assessment.models import Snapshot
from keyprojects.attraction import services as attraction_services
from keyprojects.attraction.filters import EventFilter, LeadFilter
from keyprojects.attraction.forms import DieForm, FundsForm, LandForm, LeadForm
from keyprojects.attraction.forms import EventForm as AttractionEventForm
from keyprojects.attraction.forms import StageForm as LeadStageForm
from keyprojects.attraction.models import Event as AttractionEvent
from keyprojects.attraction.models import Lead
from keyprojects.briefings.models import Briefing
from keyprojects.core.http import file_download
from keyprojects.core.params import IntegerFilter, YearFilter, region_asked, year_or_latest
from keyprojects.core.permissions import (
    nearby,
    region_holding,
    regions_for,
    require,
    require_admin,
    restrict,
)
from keyprojects.dispatch import rules as dispatch_rules
from keyprojects.dispatch import services as dispatch_services
from keyprojects.dispatch.filters import MeetingFilter, ProblemFilter
from keyprojects.dispatch.forms import (
    AssignForm,
    EscalateForm,
    MeetingForm,
    ProblemEditForm,
    ProblemForm,
    ReplyForm,
    SignOffForm,
)
from keyprojects.dispatch.forms import ReturnForm as ProblemReturnForm
from keyprojects.dispatch.models import Meeting, Problem
from keyprojects.funding import services as funding_services
from keyprojects.funding.filters import ApplicationFilter as FundingApplicationFilter
from keyprojects.funding.forms import ProposeForm as FundingProposeForm
from keyprojects.funding.forms import ResultForm as FundingResultForm
from keyprojects.funding.models import Application as FundingApplication
from keyprojects.funding.models import Round as FundingRound
from keyprojects.indicators import figures
from keyprojects.indicators.engine import (
    BREAKDOWNS,
    dispatch_json,
    to_json,
    warnings_json,
    with_approvals,
)
from keyprojects.projects import services as project_services
from keyprojects.projects.filters import ProjectFilter
from keyprojects.projects.forms import AnnualPlanForm, ProjectForm, StageForm
from keyprojects.projects.models import AnnualPlan, FundingSource, Project
from keyprojects.regions.models import Region
from keyprojects.reporting import services as reporting_services
from keyprojects.reporting.forms import PeriodForm, ReportForm, ReturnForm
from keyprojects.reporting.models import ProgressReport, ReportingPeriod
from keyprojects.tasklists import services as task_services
from keyprojects.tasklists.filters import TaskFilter
from keyprojects.tasklists.models import Area as TaskArea
from keyprojects.tasklists.models import Task

from . import serializers as out
from .authentication import signed_in
from .forms import bound_form, current_values, input_serializer
from .pagination import Pagination

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

NOBODY = AnonymousUser()  # forms built once, unbound, only to read their fields' types
ProjectInput = input_serializer("ProjectInput", ProjectForm(user=NOBODY), required=("name", "region", "total_investment"),
                                extra={"funding": serializers.DictField(
                                    child=serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True),
                                    required=False, help_text="资金来源（万元），键为 " + "/".join(FundingSource.Kind.values))})
PlanInput = input_serializer("PlanInput", AnnualPlanForm(project=Project()), required=("nature", "planned_investment"))
StageInput = input_serializer("StageInput", StageForm(), required=("version", "to_stage", "date"))
UnitInput = input_serializer("UnitInput", UnitForm(actor=NOBODY), required=("name", "region"))
PeriodInput = input_serializer("PeriodInput", PeriodForm(), required=("year", "month", "opens_on", "closes_on"),
                               extra={"region": serializers.IntegerField(
                                   min_value=1, required=False, help_text="区划 id；默认为用户所在区划")})
ReportInput = input_serializer("ReportInput", ReportForm(), extra={
    "project": serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="项目 id（新建时必填；修改时不能改）"),
    "period": serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="填报期 id（新建时必填；修改时不能改）")})
ReturnInput = input_serializer("ReturnInput", ReturnForm(), required=("return_reason",),
                               extra={"version": serializers.IntegerField(min_value=1)})
ProblemInput = input_serializer("ProblemInput", ProblemForm(user=NOBODY), required=("source", "category", "title"))
ProblemEditInput = input_serializer("ProblemEditInput", ProblemEditForm(user=NOBODY))
AssignInput = input_serializer("AssignInput", AssignForm(user=NOBODY), required=("lead_unit", "deadline"))
ProblemReplyInput = input_serializer("ProblemReplyInput", ReplyForm(), required=("text",))
SignOffInput = input_serializer("SignOffInput", SignOffForm())
ProblemReturnInput = input_serializer("ProblemReturnInput", ProblemReturnForm(), required=("reason",))
EscalateInput = input_serializer("EscalateInput", EscalateForm(), required=("reason", "deadline"))
MeetingInput = input_serializer("MeetingInput", MeetingForm(user=NOBODY), required=("kind", "title", "region", "date"),
                                extra={"decisions": serializers.ListField(
                                    child=out.DecisionInput(), required=False, max_length=200,
                                    help_text="议定事项，按顺序；修改时给出全部（已有的带 id），未列出的删除（已转为问题的不能删除）")})


def _project_data(payload: Any) -> Any:
    """The API's ``funding`` object as the form's ``funding_<kind>`` fields."""
    if isinstance(payload, dict) and isinstance(payload.get("funding"), dict):
        payload = {**payload, **{f"funding_{kind}": amount for kind, amount in payload["funding"].items()
                                 if kind in FundingSource.Kind.values}}
        payload.pop("funding")
    return payload


class ScopedFilterBackend(DjangoFilterBackend):
    """django-filter for the web's FilterSets, which need the user (their choices are scoped)."""

    def get_filterset_kwargs(self, request: Request, queryset: Any, view: Any) -> dict[str, Any]:
        return {**super().get_filterset_kwargs(request, queryset, view), "user": request.user}


# --- regions and units -------------------------------------------------------------------

class RegionFilter(filters.FilterSet):
    parent = filters.CharFilter(field_name="parent__code", label="上级区划代码")
    level = filters.ChoiceFilter(choices=Region.Level.choices)
    q = filters.CharFilter(field_name="name", lookup_expr="contains", label="名称包含")

    class Meta:
        model = Region
        fields: list[str] = []


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions the user may see: their own and everything below it. Looked up by code."""

    queryset = Region.objects.none()  # the model, for the schema (get_queryset needs the user)

    serializer_class = out.RegionSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = RegionFilter
    lookup_field = "code"


    def get_queryset(self):
        return regions_for(signed_in(self.request), "view").select_related("parent").order_by("code")


class UnitViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Units of the user's region and the regions above it; city admins create and change
    those of their city."""

    queryset = Unit.objects.none()  # the model, for the schema (get_queryset needs the user)

    serializer_class = out.UnitSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [ScopedFilterBackend]
    filterset_class = UnitFilter  # the units page's: name search, kind, region


    def get_queryset(self):
        return nearby(signed_in(self.request), Unit.objects.select_related("region")).order_by("region__code", "name")

    @extend_schema(request=UnitInput, responses={201: out.UnitSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        require_admin(user)  # as on the units page: city admins only
        form = bound_form(UnitForm, UnitInput, request.data, actor=user)
        unit = account_services.save_unit(user, form.cleaned_data)
        return Response(out.UnitSerializer(unit).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=UnitInput, responses=out.UnitSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        unit = self.get_object()
        require_admin(user, unit.region)
        form = bound_form(UnitForm, UnitInput, request.data, current_values(unit, UnitForm),
                          instance=unit, actor=user)
        unit = account_services.save_unit(user, form.cleaned_data, unit)
        return Response(out.UnitSerializer(unit).data)


# --- projects and their plans ----------------------------------------------------------------

@extend_schema_view(
    list=extend_schema(description="项目库，筛选条件与网页项目列表相同（year 给出时附带该年度计划数字与本年完成）；"
                                   "响应中的 totals 为筛选结果的合计行（万元）。"),
    destroy=extend_schema(parameters=[OpenApiParameter("version", int, required=True, description="当前版本号")]),
)
class ProjectViewSet(viewsets.ModelViewSet):
    queryset = Project.objects.none()  # the model, for the schema (get_queryset needs the user)
    totals_serializer = out.ProjectTotalsSerializer  # the list's ``totals`` (api.schema)
    filter_backends = [ScopedFilterBackend]
    filterset_class = ProjectFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


    def get_queryset(self):
        return self._joined(Project.objects.visible_to(signed_in(self.request)))

    @staticmethod
    def _joined(projects: Any) -> Any:
        """What the serializers read of each project, fetched with it."""
        return (projects.select_related("region", "sector", "owner", "responsible_unit")
                .prefetch_related("leaders", "lists", "funding", "plans"))

    def get_serializer_class(self):
        return out.ProjectListSerializer if self.action == "list" else out.ProjectSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        listing = figures.project_list(signed_in(request), request.query_params, latest_year=False)
        if not listing.filter.is_valid():
            raise translate_validation(listing.filter.errors)
        projects = self._joined(listing.projects)
        paginator = self.paginator
        assert isinstance(paginator, Pagination)  # (settings.REST_FRAMEWORK's pagination class)
        paginator.known_count, paginator.keys = listing.totals["count"], listing.keys
        page = self.paginate_queryset(projects)
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["totals"] = out.ProjectTotalsSerializer(listing.totals).data
        return response

    def _saved(self, project: Project, code: int = status.HTTP_200_OK) -> Response:
        return Response(out.ProjectSerializer(self.get_queryset().get(pk=project.pk)).data, status=code)

    @extend_schema(request=ProjectInput, responses={201: out.ProjectSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        form = bound_form(ProjectForm, ProjectInput, _project_data(request.data), user=user)
        data = form.cleaned_data
        project = project_services.create_project(user, data, form.funding(), stage=data["stage"])
        return self._saved(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectInput, responses=out.ProjectSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        project = self.get_object()
        require(user, "edit", project)
        payload = _project_data(request.data)
        version = _require_version(payload)
        base = {**current_values(project, ProjectForm),
                **{f"funding_{row.kind}": row.amount for row in project.funding.all()}}
        form = bound_form(ProjectForm, ProjectInput, payload, base, instance=project, user=user)
        project = project_services.update_project(user, project.pk, version, form.cleaned_data,
                                                  form.funding())
        return self._saved(project)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        project = self.get_object()
        version = request.query_params.get("version", "")
        if not version.isdigit():
            raise serializers.ValidationError({"version": [_("删除时必须提供当前版本号 version")]})
        project_services.delete_project(signed_in(request), project.pk, int(version))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=PlanInput, responses={201: out.PlanSerializer})
    @action(detail=True, methods=["post"], url_path="plans")
    def add_plan(self, request: Request, pk: str | None = None) -> Response:
        """Add the project's plan for a year (年度计划)."""
        user = signed_in(request)
        project = self.get_object()
        require(user, "edit", project)
        form = bound_form(AnnualPlanForm, PlanInput, request.data, project=project)
        plan = project_services.save_annual_plan(user, project.pk, form.cleaned_data["year"],
                                                 form.cleaned_data)
        return Response(out.PlanSerializer(plan).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanInput, responses=out.PlanSerializer)
    @action(detail=True, methods=["patch"], url_path=r"plans/(?P<year>\d{4})")
    def change_plan(self, request: Request, pk: str | None = None, year: str = "") -> Response:
        """Change the project's plan for ``year``; ``version`` is required."""
        user = signed_in(request)
        project = self.get_object()
        plan = get_object_or_404(AnnualPlan, project=project, year=int(year))
        require(user, "edit", project)
        version = _require_version(request.data)
        form = bound_form(AnnualPlanForm, PlanInput, request.data, current_values(plan, AnnualPlanForm),
                          instance=plan, project=project)
        plan = project_services.save_annual_plan(user, project.pk, plan.year, form.cleaned_data, version)
        return Response(out.PlanSerializer(plan).data)

    @extend_schema(request=StageInput, responses=out.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, pk: str | None = None) -> Response:
        """Change the construction stage (前期 → 在建 …) on a date."""
        project = self.get_object()
        data = bound_form(StageForm, StageInput, request.data).cleaned_data
        project = project_services.change_stage(signed_in(request), project.pk, data["version"], data["to_stage"],
                                                data["date"], data["note"])
        return self._saved(project)


def _require_version(payload: Any) -> int:
    """The payload's ``version``, which a change must give."""
    if not isinstance(payload, dict) or not isinstance(payload.get("version"), int) or isinstance(
            payload.get("version"), bool):
        raise serializers.ValidationError({"version": [_("修改时必须提供打开时的版本号 version（整数）")]})
    return payload["version"]


# --- reporting -----------------------------------------------------------------------

class PeriodFilter(filters.FilterSet):
    year = IntegerFilter()
    month = IntegerFilter()
    state = filters.ChoiceFilter(choices=ReportingPeriod.State.choices)

    class Meta:
        model = ReportingPeriod
        fields: list[str] = []


class PeriodViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Reporting periods (填报期) of the user's city, and of the regions above and below."""

    queryset = ReportingPeriod.objects.none()  # the model, for the schema (get_queryset needs the user)

    serializer_class = out.PeriodSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PeriodFilter


    def get_queryset(self):
        return nearby(signed_in(self.request), ReportingPeriod.objects.select_related("region")).order_by("-year", "-month", "pk")

    @extend_schema(request=PeriodInput, responses={201: out.PeriodSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        form = bound_form(PeriodForm, PeriodInput, request.data)
        region_id = request.data.get("region") if isinstance(request.data, dict) else None
        region = (get_object_or_404(regions_for(user, "edit"), pk=region_id) if isinstance(region_id, int)
                  else user.region)
        if region is None:
            raise serializers.ValidationError({"region": [_("请指定区划")]})
        data = form.cleaned_data
        period = reporting_services.create_period(user, region, data["year"], data["month"],
                                                  data["opens_on"], data["closes_on"])
        return Response(out.PeriodSerializer(period).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=out.StateSerializer, responses=out.PeriodSerializer)
    @action(detail=True, methods=["post"])
    def state(self, request: Request, pk: str | None = None) -> Response:
        """Open, close or lock the period (city admins)."""
        period = self.get_object()
        typed = out.StateSerializer(data=request.data)
        typed.is_valid(raise_exception=True)
        period = reporting_services.set_period_state(signed_in(request), period.pk, typed.validated_data["state"])
        return Response(out.PeriodSerializer(period).data)


class ReportFilter(filters.FilterSet):
    period = IntegerFilter(field_name="period_id")
    project = IntegerFilter(field_name="project_id")
    year = IntegerFilter(field_name="period__year")
    month = IntegerFilter(field_name="period__month")
    status = filters.ChoiceFilter(choices=ProgressReport.Status.choices)

    class Meta:
        model = ProgressReport
        fields: list[str] = []


class ReportViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Monthly reports (月报): a county clerk drafts and submits; the city approves or returns."""

    queryset = ProgressReport.objects.none()  # the model, for the schema (get_queryset needs the user)

    serializer_class = out.ReportSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReportFilter
    http_method_names = ["get", "post", "patch", "head", "options"]


    def get_queryset(self):
        return restrict(ProgressReport.objects.select_related("project", "period", "submitted_by", "reviewed_by"),
                        signed_in(self.request)).order_by("-period__year", "-period__month", "project_id", "pk")

    def _done(self, report: ProgressReport, code: int = status.HTTP_200_OK) -> Response:
        return Response(out.ReportSerializer(self.get_queryset().get(pk=report.pk)).data, status=code)

    @extend_schema(request=ReportInput, responses={201: out.ReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Draft a project's report for a period (all figures given, as on the filing screen)."""
        user = signed_in(request)
        ids = {key: request.data.get(key) if isinstance(request.data, dict) else None for key in ("project", "period")}
        errors = {key: [_("新建月报时必填（整数 id）")] for key, value in ids.items() if type(value) is not int}
        if errors:
            raise serializers.ValidationError(errors)
        project = get_object_or_404(Project.objects.visible_to(user), pk=ids["project"])
        period = get_object_or_404(nearby(user, ReportingPeriod.objects.all()), pk=ids["period"])
        # One per project and period: a report already there is a 409 before its figures are read,
        # and one created at this moment by another request is a 409 from the service (under the lock).
        existing = ProgressReport.objects.filter(project=project, period=period).first()
        if existing is not None:
            raise reporting_services.ReportExists(existing, 0)
        form = bound_form(ReportForm, ReportInput, request.data)
        report = reporting_services.save_draft(user, project.pk, period.pk, form.cleaned_data, create=True)
        return self._done(report, status.HTTP_201_CREATED)

    @extend_schema(request=ReportInput, responses=out.ReportSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = self.get_object()
        version = _require_version(request.data)
        form = bound_form(ReportForm, ReportInput, request.data, current_values(report, ReportForm), instance=report)
        report = reporting_services.save_draft(signed_in(request), report.project_id, report.period_id, form.cleaned_data,
                                               version)
        return self._done(report)

    def _version(self, request: Request) -> int:
        """The version the client read: every change of state needs it (a 400 naming it when missing)."""
        typed = out.VersionSerializer(data=request.data if isinstance(request.data, dict) else {})
        typed.is_valid(raise_exception=True)
        version: int = typed.validated_data["version"]
        return version

    @extend_schema(request=out.VersionSerializer, responses=out.ReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        """报送: a draft or returned report goes to the city for review."""
        report = self.get_object()
        return self._done(reporting_services.submit_report(signed_in(request), report.pk, self._version(request)))

    @extend_schema(request=out.VersionSerializer, responses=out.ReportSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """审核通过 (city admins; not one's own submission)."""
        report = self.get_object()
        return self._done(reporting_services.approve_report(signed_in(request), report.pk, self._version(request)))

    @extend_schema(request=ReturnInput, responses=out.ReportSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        """退回 with a reason (city admins)."""
        report = self.get_object()
        form = bound_form(ReturnForm, ReturnInput, request.data)
        return self._done(reporting_services.return_report(
            signed_in(request), report.pk, form.cleaned_data["return_reason"], self._version(request)))


# --- dispatch: meetings and the problem ledger -----------------------------------------

class MeetingViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Dispatch meetings (调度会) with their decisions (议定事项): recorded by who holds their
    region; read by its users and the units attending."""

    queryset = Meeting.objects.none()  # the model, for the schema (get_queryset needs the user)

    serializer_class = out.MeetingSerializer
    filter_backends = [ScopedFilterBackend]
    filterset_class = MeetingFilter
    http_method_names = ["get", "post", "patch", "head", "options"]


    def get_queryset(self):
        return (Meeting.objects.visible_to(signed_in(self.request)).select_related("region", "chair")
                .prefetch_related("units", "projects", "decisions__problem", "attachments").order_by("-date", "-pk"))

    def _saved(self, meeting: Meeting, code: int = status.HTTP_200_OK) -> Response:
        return Response(out.MeetingSerializer(self.get_queryset().get(pk=meeting.pk)).data, status=code)

    @staticmethod
    def _decisions(payload: Any) -> list[tuple[int | None, str]] | None:
        if not isinstance(payload, dict) or "decisions" not in payload:
            return None
        typed = serializers.ListField(child=out.DecisionInput(), max_length=200)
        rows = typed.run_validation(payload["decisions"])
        return [(row.get("id"), row["text"]) for row in rows]

    @extend_schema(request=MeetingInput, responses={201: out.MeetingSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        form = bound_form(MeetingForm, MeetingInput, request.data, user=user)
        meeting = dispatch_services.save_meeting(user, None, None, form.cleaned_data,
                                                 self._decisions(request.data) or [])
        return self._saved(meeting, status.HTTP_201_CREATED)

    @extend_schema(request=MeetingInput, responses=out.MeetingSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        meeting = self.get_object()
        require(user, "edit", meeting)
        version = _require_version(request.data)
        form = bound_form(MeetingForm, MeetingInput, request.data, current_values(meeting, MeetingForm),
                          instance=meeting, user=user)
        meeting = dispatch_services.save_meeting(user, meeting.pk, version, form.cleaned_data,
                                                 self._decisions(request.data))
        return self._saved(meeting)


@extend_schema_view(list=extend_schema(description="问题台账，筛选条件与网页相同，按紧急程度排序（逾期在前）。"))
class ProblemViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The problem ledger (问题台账): raise (with a lead unit and a deadline, assigned at once),
    change while awaiting assignment, and the workflow's actions — assign, reply, sign off,
    return, escalate — with the pages' forms, services, sides and versions (409)."""

    queryset = Problem.objects.none()  # the model, for the schema (get_queryset needs the user)

    filter_backends = [ScopedFilterBackend]
    filterset_class = ProblemFilter
    http_method_names = ["get", "post", "patch", "head", "options"]


    def get_queryset(self):
        return (Problem.objects.visible_to(signed_in(self.request))
                .select_related("region", "escalated_to", "project", "lead_unit", "raiser_unit", "raised_by",
                                "signed_off_by").prefetch_related("co_units"))

    def get_serializer_class(self):
        return out.ProblemSerializer if self.action == "list" else out.ProblemDetailSerializer

    def _done(self, problem: Problem, code: int = status.HTTP_200_OK) -> Response:
        found = self.get_queryset().prefetch_related("events__actor", "events__unit", "events__attachments")
        return Response(out.ProblemDetailSerializer(found.get(pk=problem.pk)).data, status=code)

    @extend_schema(request=ProblemInput, responses={201: out.ProblemDetailSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        if not dispatch_rules.writes(user):  # as on the page: readers are refused before their input
            raise PermissionDenied(_("您的角色只能查看，不能提出问题"))
        form = bound_form(ProblemForm, ProblemInput, request.data, user=user)
        return self._done(dispatch_services.raise_problem(user, form.cleaned_data), status.HTTP_201_CREATED)

    @extend_schema(request=ProblemEditInput, responses=out.ProblemDetailSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a problem awaiting assignment (待交办); ``version`` is required."""
        user = signed_in(request)
        problem = self.get_object()
        version = _require_version(request.data)
        form = bound_form(ProblemEditForm, ProblemEditInput, request.data, current_values(problem, ProblemEditForm),
                          instance=problem, user=user)
        return self._done(dispatch_services.update_problem(user, problem.pk, version,
                                                           form.cleaned_data))

    @extend_schema(request=AssignInput, responses=out.ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """交办: lead unit, co-units, leader and deadline (an escalated problem: by the level above)."""
        user = signed_in(request)
        problem = self.get_object()
        data = bound_form(AssignForm, AssignInput, request.data, user=user).cleaned_data
        return self._done(dispatch_services.assign(user, problem.pk, data.get("version"), data))

    @extend_schema(request=ProblemReplyInput, responses=out.ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request: Request, pk: str | None = None) -> Response:
        """答复: the lead unit's reply that it is solved (awaiting sign-off), or with
        ``progress_only`` a unit's progress."""
        user = signed_in(request)
        problem = self.get_object()
        data = bound_form(ReplyForm, ProblemReplyInput, request.data).cleaned_data
        return self._done(dispatch_services.reply(user, problem.pk, data.get("version"), data["text"],
                                                  done=not data.get("progress_only")))

    @extend_schema(request=SignOffInput, responses=out.ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request: Request, pk: str | None = None) -> Response:
        """销号 (the raiser's side)."""
        user = signed_in(request)
        problem = self.get_object()
        data = bound_form(SignOffForm, SignOffInput, request.data).cleaned_data
        return self._done(dispatch_services.sign_off(user, problem.pk, data.get("version"), data["text"]))

    @extend_schema(request=ProblemReturnInput, responses=out.ProblemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        """退回 a reply, with its reason (the raiser's side)."""
        user = signed_in(request)
        problem = self.get_object()
        data = bound_form(ProblemReturnForm, ProblemReturnInput, request.data).cleaned_data
        return self._done(dispatch_services.return_problem(user, problem.pk, data.get("version"),
                                                           data["reason"]))

    @extend_schema(request=EscalateInput, responses=out.ProblemDetailSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """提级 to the level above, with a reason and that level's deadline."""
        user = signed_in(request)
        problem = self.get_object()
        data = bound_form(EscalateForm, EscalateInput, request.data).cleaned_data
        return self._done(dispatch_services.escalate(user, problem.pk, data.get("version"), data["reason"],
                                                     data["deadline"]))


# --- warnings (预警) -------------------------------------------------------------------

class AcknowledgeInput(serializers.Serializer):
    note = serializers.CharField(max_length=300, help_text="确认说明（已采取或将采取的措施）")
    version = serializers.IntegerField(min_value=1, required=False, help_text="预警的版本；不一致时返回 409")


@extend_schema_view(list=extend_schema(description="预警，筛选条件与网页相同（不带 state 与 open_on 时为全部）；"
                                                   "预警中的在前，红色在前，新发出的在前。"))
class WarningViewSet(viewsets.ReadOnlyModelViewSet):
    """Warnings (预警) the user may see, with the list page's filter; ``acknowledge`` records a
    note (who may change the project), the warning staying open until its cause is gone."""

    queryset = Warning.objects.none()  # the model, for the schema (get_queryset needs the user)

    filter_backends = [ScopedFilterBackend]
    filterset_class = WarningFilter
    serializer_class = out.WarningSerializer


    def get_queryset(self):
        return (Warning.objects.visible_to(signed_in(self.request))
                .select_related("region", "project", "acknowledged_by"))

    @extend_schema(request=AcknowledgeInput, responses=out.WarningSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        user = signed_in(request)
        warning = self.get_object()
        data = AcknowledgeInput(data=request.data)
        data.is_valid(raise_exception=True)
        done = alert_services.acknowledge(user, warning.pk, data.validated_data["note"],
                                          data.validated_data.get("version"))
        return Response(out.WarningSerializer(self.get_queryset().get(pk=done.pk)).data)


# --- indicators ----------------------------------------------------------------------

class IndicatorQuery(serializers.Serializer):
    region = serializers.CharField(required=False, help_text="区划代码或名称；默认为用户所在区划")
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100, help_text="计划年度；默认今年")
    as_of = serializers.DateField(required=False, help_text="统计日期；默认今天（不晚于年底）")
    by = serializers.MultipleChoiceField(choices=BREAKDOWNS, required=False,
                                         help_text="分组：" + ",".join(BREAKDOWNS) + "（逗号分隔；默认全部）")

    def to_internal_value(self, data: Any) -> Any:
        if hasattr(data, "getlist"):
            data = {key: (",".join(data.getlist(key)).split(",") if key == "by" else data.get(key)) for key in data}
        return super().to_internal_value(data)


class IndicatorView(APIView):
    """The indicators of a region's plan year as of a date: the same JSON as
    ``keyprojects stats --json`` (with each rate's change on a year before and the dispatch
    figures), plus breakdowns by region, sector, batch, nature, level, leader and list. Only
    the projects, meetings and problems the user may see are counted."""

    @extend_schema(parameters=[IndicatorQuery], responses=out.IndicatorsSerializer)
    def get(self, request: Request) -> Response:
        query = IndicatorQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        region = self._region(request, params.get("region"))
        year = params.get("year") or timezone.localdate().year
        as_of = params.get("as_of") or figures.data_date(signed_in(request), year, region)[0]
        found = figures.indicators(signed_in(request), year, as_of, region, tuple(params.get("by") or BREAKDOWNS))
        payload = {"region": region.name if region else None, "region_code": region.code if region else None,
                   "year": year, "as_of": as_of.isoformat(),
                   **to_json({**found["stats"], "year_on_year": found["year_on_year"]})}
        payload["breakdowns"] = {by: [to_json({k: v for k, v in row.items() if k != "region"}) for row in rows]
                                 for by, rows in found["breakdowns"].items()}
        payload["dispatch"] = dispatch_json(figures.dispatch(signed_in(request), year, as_of, region))
        payload["warnings"] = warnings_json(figures.warnings(signed_in(request), as_of, region))
        payload = with_approvals(payload, figures.approvals(signed_in(request), year, as_of, region))
        return Response(out.IndicatorsSerializer(payload).data)

    def _region(self, request: Request, wanted: str | None) -> Region | None:
        user = signed_in(request)
        allowed = regions_for(user, "view")
        if not wanted:
            return user.region
        found = allowed.filter(code=wanted).first() or next(iter(allowed.match(wanted)), None)
        if found is None:
            raise NotFound(_("区划“%(name)s”不存在或不在您的权限范围内") % {"name": wanted})
        return found




# --- approvals (前期手续) -----------------------------------------------------------------

def _without(form: Any, *names: str) -> Any:
    """An unbound form less fields the API does not take as JSON (a document: ``document/``, multipart)."""
    for name in names:
        form.fields.pop(name)
    return form


ApprovalRecordInput = input_serializer("ApprovalRecordInput", _without(RecordForm(), "document"), required=("version",))
ApprovalAdjustInput = input_serializer("ApprovalAdjustInput", AdjustForm(), required=("required", "version"))
ApprovalScheduleInput = input_serializer("ApprovalScheduleInput", ScheduleForm(user=NOBODY), required=("target_start",),
                                         optional=("path",))


class ApprovalVersionInput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="打开时的版本号；已被他人修改则返回 409")


VERSION_NEEDED: dict[str, StrOrPromise] = {"required": _lazy("修改时必须提供打开时的版本号 version（整数）"),
                  "invalid": _lazy("修改时必须提供打开时的版本号 version（整数）")}


class ApprovalDocumentInput(serializers.Serializer):
    """A multipart form: the file and the version read (a form field, hence a string of digits)."""

    document = serializers.FileField(help_text=f"批复文件：PDF、JPG 或 PNG（按文件内容判断，不看扩展名），"
                                               f"不超过 {approval_services.DOCUMENT_MB} MB")
    version = serializers.IntegerField(min_value=1, error_messages=VERSION_NEEDED,
                                       help_text="打开时的版本号；已被他人修改则返回 409")


@extend_schema_view(list=extend_schema(description="前期手续台账，筛选条件与网页相同（year 给出时为前期手续审批完成率所计的事项），"
                                                   "逾期的在前；响应中的 totals 为筛选结果的合计行（as_of 当日，默认今天）。"))
class ApprovalViewSet(mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Projects' approval items (前期手续) the user may see — the issuing department sees the items
    it issues only: fill (PATCH: obtained on, 批复文号, note), confirm (the issuing unit), waive or
    require again with a reason (adjust). Every change gives the version it read (409 if stale)."""

    serializer_class = out.ApprovalSerializer
    totals_serializer = out.ApprovalTotalsSerializer  # the list's ``totals`` (api.schema)
    filter_backends = [ScopedFilterBackend]
    filterset_class = ApprovalFilter
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's own request: for the filter's parameters
            return ProjectApproval.objects.none()
        return (ProjectApproval.objects.visible_to(signed_in(self.request))
                .select_related("project__region", "item", "issuer"))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = ScopedFilterBackend().get_filterset(request, self.get_queryset(), self)
        assert isinstance(found, ApprovalFilter)  # (the view's filterset_class)
        if not found.is_valid():
            raise translate_validation(found.errors)
        day = found.day
        counts = approval_totals(approval_counts(found.qs, day, region_holding(signed_in(request))))
        paginator = self.paginator
        assert isinstance(paginator, Pagination)  # (settings.REST_FRAMEWORK's pagination class)
        paginator.known_count = counts["count"]
        page = self.paginate_queryset(approvals_ordered(found.qs, day))
        response = self.get_paginated_response(
            out.ApprovalSerializer(page, many=True, context={**self.get_serializer_context(), "day": day}).data)
        response.data["totals"] = out.ApprovalTotalsSerializer(counts).data
        return response

    def _done(self, approval: ProjectApproval) -> Response:
        return Response(out.ApprovalSerializer(self.get_queryset().get(pk=approval.pk),
                                               context=self.get_serializer_context()).data)

    @extend_schema(request=ApprovalRecordInput, responses=out.ApprovalSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """办结: the day obtained, 批复文号 and note (fields left out keep their values). An entry by
        the issuing unit is its confirmation; anyone else's awaits it again."""
        user = signed_in(request)
        approval = self.get_object()
        version = _require_version(request.data)
        base = {"obtained_on": approval.obtained_on, "number": approval.number, "note": approval.note}
        data = bound_form(RecordForm, ApprovalRecordInput, request.data, base).cleaned_data
        return self._done(approval_services.record(user, approval.pk, version,
                                                   {key: data[key] for key in base}))

    @extend_schema(request=ApprovalVersionInput, responses=out.ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """部门确认: the issuing unit confirms an item obtained (others: 403)."""
        approval = self.get_object()
        version = _require_version(request.data)
        return self._done(approval_services.confirm(signed_in(request), approval.pk, version))

    @extend_schema(request=ApprovalAdjustInput, responses=out.ApprovalSerializer)
    @action(detail=True, methods=["post"])
    def adjust(self, request: Request, pk: str | None = None) -> Response:
        """免办 (``required``: false, with the reason) or 需办理 again; the planned dates move at the
        project's next scheduling."""
        approval = self.get_object()
        version = _require_version(request.data)
        data = bound_form(AdjustForm, ApprovalAdjustInput, request.data).cleaned_data
        return self._done(approval_services.adjust(signed_in(request), approval.pk, version, data["required"],
                                                   data["reason"]))

    @extend_schema(methods=["GET"], summary="下载批复文件", responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY})
    @extend_schema(methods=["POST"], summary="上传批复文件（multipart/form-data）",
                   request={"multipart/form-data": ApprovalDocumentInput}, responses=out.ApprovalSerializer)
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser])
    def document(self, request: Request, pk: str | None = None) -> Any:
        """批复文件: GET downloads it (the items the user may see, as on the page); POST uploads it
        (multipart: ``document`` and ``version``), checked by content as on the page and saved
        through the same service (an upload by anyone but the issuing unit awaits its confirmation)."""
        approval = self.get_object()
        if request.method == "GET":
            if not approval.document:
                raise NotFound(_("该事项尚无批复文件"))
            return file_download(approval.document, approval.document_filename())
        found = ApprovalDocumentInput(data=request.data)
        found.is_valid(raise_exception=True)
        return self._done(approval_services.record(signed_in(request), approval.pk, found.validated_data["version"],
                                                   {"document": found.validated_data["document"]}))


class ProjectApprovalsView(APIView):
    """A project's approvals: its backward schedule (path, target start, 帮办) and the items the
    user may see, by planned date."""

    parser_classes = [JSONParser]

    @staticmethod
    def project(request: Request, pk: int) -> Project:
        return get_object_or_404(Project.objects.visible_to(signed_in(request)).select_related("region"), pk=pk)

    @staticmethod
    def answer(request: Request, project: Project) -> Response:
        user = signed_in(request)
        schedule = (ApprovalSchedule.objects.visible_to(user).filter(project=project)
                    .select_related("helper").first())
        approvals = sorted(ProjectApproval.objects.visible_to(user).filter(project=project)
                           .select_related("project__region", "item", "issuer"),
                           key=lambda a: (not a.required, a.planned_on or date.max, a.item.order, a.pk))
        return Response(out.ProjectApprovalsSerializer(
            {"project": project, "schedule": schedule, "approvals": approvals}, context={"request": request}).data)

    @extend_schema(responses=out.ProjectApprovalsSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return self.answer(request, self.project(request, pk))


class ProjectApprovalsScheduleView(APIView):
    """倒排: (re)schedule the project's approvals back from ``target_start`` on ``path`` (default:
    the schedule's, else by the project's investment nature). Rescheduling gives the schedule's
    ``version`` (409 if stale): it moves the planned dates, what was obtained or waived stays."""

    parser_classes = [JSONParser]

    @extend_schema(request=ApprovalScheduleInput, responses=out.ProjectApprovalsSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user = signed_in(request)
        project = ProjectApprovalsView.project(request, pk)
        require(user, "edit", project)
        schedule = ApprovalSchedule.objects.filter(project=project).first()
        version = _require_version(request.data) if schedule is not None else None
        base = {"path": schedule.path if schedule else default_approval_path(project)}
        payload = {**base, **request.data} if isinstance(request.data, dict) else request.data
        data = bound_form(ScheduleForm, ApprovalScheduleInput, payload, user=user).cleaned_data
        approval_services.schedule_project(user, project.pk, data["target_start"], data["path"], data["helper"],
                                           version)
        return ProjectApprovalsView.answer(request, project)


# --- 招商引资 (investment attraction): events and leads ------------------------------------------

AttractionEventInput = input_serializer("AttractionEventInput", AttractionEventForm(user=NOBODY),
                                        required=("kind", "title", "date", "region", "unit"))
LeadInput = input_serializer("LeadInput", LeadForm(user=NOBODY),
                             required=("name", "region", "investor", "origin", "industry", "amount", "found_on", "unit"))
LeadStageInput = input_serializer("LeadStageInput", LeadStageForm(), required=("version", "to_stage", "on"))
LandInput = input_serializer("LandInput", LandForm(), required=("version", "on", "registered_on"))
DieInput = input_serializer("DieInput", DieForm(), required=("version", "on", "reason"))
FundsInput = input_serializer("FundsInput", FundsForm(), required=("year", "month", "amount"))


@extend_schema_view(list=extend_schema(description="招商活动，筛选条件与网页相同（year、as_of 给出统计期）。"))
class AttractionEventViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = AttractionEvent.objects.none()  # the model, for the schema (get_queryset needs the user)
    """招商活动: recorded by who holds their region or the organizing department; read by the
    region's users and the units taking part."""

    serializer_class = out.AttractionEventSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = EventFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (AttractionEvent.objects.visible_to(signed_in(self.request)).select_related("region", "leader", "unit")
                .prefetch_related("units").order_by("-date", "-pk"))

    def _saved(self, event: AttractionEvent, code: int = status.HTTP_200_OK) -> Response:
        return Response(out.AttractionEventSerializer(self.get_queryset().get(pk=event.pk)).data, status=code)

    @extend_schema(request=AttractionEventInput, responses={201: out.AttractionEventSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        form = bound_form(AttractionEventForm, AttractionEventInput, request.data, user=user)
        event = attraction_services.save_event(user, None, form.service_data())
        return self._saved(event, status.HTTP_201_CREATED)

    @extend_schema(request=AttractionEventInput, responses=out.AttractionEventSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        event = self.get_object()
        require(user, "edit", event)
        version = _require_version(request.data)
        base = {name: getattr(event, f"{name}_id", None) or getattr(event, name)
                for name in attraction_services.EVENT_FIELDS} | {"units": [u.pk for u in event.units.all()]}
        form = bound_form(AttractionEventForm, AttractionEventInput, request.data, base, user=user)
        event = attraction_services.save_event(user, event.pk, form.service_data(), version)
        return self._saved(event)


@extend_schema_view(list=extend_schema(description="招商项目台账，筛选条件与网页相同（reached 按统计期 year、as_of 判断）。"))
class LeadViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Lead.objects.none()  # the model, for the schema (get_queryset needs the user)
    """招商项目 (leads): registered and changed by who holds their region or the following
    department; moved through their stages, landed (the library project registered), ended with a
    reason, and their funds in place reported, by the same services as the pages."""

    serializer_class = out.LeadSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = LeadFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (Lead.objects.visible_to(signed_in(self.request)).select_related("region", "unit", "leader")
                .prefetch_related("stages", "agreements").order_by("region__code", "-found_on", "pk"))

    def _saved(self, lead: Lead, code: int = status.HTTP_200_OK) -> Response:
        return Response(out.LeadSerializer(self.get_queryset().get(pk=lead.pk)).data, status=code)

    @extend_schema(request=LeadInput, responses={201: out.LeadSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        form = bound_form(LeadForm, LeadInput, request.data, user=user)
        return self._saved(attraction_services.save_lead(user, None, form.service_data()), status.HTTP_201_CREATED)

    @extend_schema(request=LeadInput, responses=out.LeadSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        lead = self.get_object()
        require(user, "edit", lead)
        version = _require_version(request.data)
        base = {name: getattr(lead, f"{name}_id", None) if name in ("region", "event", "unit", "leader")
                else getattr(lead, name) for name in attraction_services.LEAD_FIELDS}
        form = bound_form(LeadForm, LeadInput, request.data, base, user=user)
        return self._saved(attraction_services.save_lead(user, lead.pk, form.service_data(), version))

    @extend_schema(request=LeadStageInput, responses=out.LeadSerializer)
    @action(detail=True, methods=["post"])
    def stage(self, request: Request, pk: str | None = None) -> Response:
        user, lead = signed_in(request), self.get_object()
        data = bound_form(LeadStageForm, LeadStageInput, request.data).cleaned_data
        lead = attraction_services.change_stage(user, lead.pk, data["version"], data["to_stage"], data["on"],
                                                data.get("note") or "", data.get("amount"))
        return self._saved(lead)

    @extend_schema(request=LandInput, responses=out.LeadSerializer)
    @action(detail=True, methods=["post"])
    def land(self, request: Request, pk: str | None = None) -> Response:
        user, lead = signed_in(request), self.get_object()
        data = bound_form(LandForm, LandInput, request.data).cleaned_data
        return self._saved(attraction_services.land(user, lead.pk, data["version"], data))

    @extend_schema(request=DieInput, responses=out.LeadSerializer)
    @action(detail=True, methods=["post"])
    def die(self, request: Request, pk: str | None = None) -> Response:
        user, lead = signed_in(request), self.get_object()
        data = bound_form(DieForm, DieInput, request.data).cleaned_data
        return self._saved(attraction_services.die(user, lead.pk, data["version"], data["on"], data["reason"]))

    @extend_schema(request=FundsInput, responses=out.LeadSerializer)
    @action(detail=True, methods=["post"])
    def funds(self, request: Request, pk: str | None = None) -> Response:
        user, lead = signed_in(request), self.get_object()
        data = bound_form(FundsForm, FundsInput, request.data).cleaned_data
        attraction_services.report_funds(user, lead.pk, data["year"], data["month"], data["amount"],
                                         data.get("out_of_province") or 0)
        return self._saved(lead)
# --- funding rounds (资金申报) ------------------------------------------------------------------

FundingProposeInput = input_serializer("FundingProposeInput", FundingProposeForm(projects=Project.objects.none()),
                                       required=("project", "requested"),
                                       extra={"round": serializers.IntegerField(min_value=1, max_value=2**31 - 1)})
FundingResultInput = input_serializer("FundingResultInput", FundingResultForm(), required=("version",))


class FundingRoundViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = FundingRound.objects.none()  # the model, for the schema (get_queryset needs the user)
    """Funding rounds (资金申报批次) of the regions the user works in, with their conditions."""

    serializer_class = out.FundingRoundSerializer

    def get_queryset(self):
        return FundingRound.objects.visible_to(signed_in(self.request)).select_related("region").order_by("-year", "pk")


@extend_schema_view(list=extend_schema(description="资金申报项目，筛选条件与网页相同（批次、资金类别、县区、状态、截至统计日期）。"))
class FundingApplicationViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    queryset = FundingApplication.objects.none()  # the model, for the schema (get_queryset needs the user)
    """Applications to funding rounds: proposed by a county (POST), the province's result and the
    money issued and spent recorded by the commission (PATCH, with the version read)."""

    serializer_class = out.FundingApplicationSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = FundingApplicationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (FundingApplication.objects.visible_to(signed_in(self.request))
                .select_related("project__region", "round").order_by("round", "project__name", "pk"))

    def _saved(self, application: FundingApplication, code: int = status.HTTP_200_OK) -> Response:
        return Response(out.FundingApplicationSerializer(self.get_queryset().get(pk=application.pk)).data, status=code)

    @extend_schema(request=FundingProposeInput, responses={201: out.FundingApplicationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        payload = request.data if isinstance(request.data, dict) else {}
        round_ = get_object_or_404(FundingRound.objects.visible_to(user), pk=payload.get("round") or 0) \
            if isinstance(payload.get("round"), int) else None
        if round_ is None:
            raise serializers.ValidationError({"round": [_("请提供批次 round（整数）")]})
        projects = Project.objects.visible_to(user)
        form = bound_form(FundingProposeForm, FundingProposeInput, request.data, projects=projects)
        application = funding_services.propose(user, round_.pk, form.cleaned_data["project"],
                                               form.cleaned_data["requested"])
        return self._saved(application, status.HTTP_201_CREATED)

    @extend_schema(request=FundingResultInput, responses=out.FundingApplicationSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = signed_in(request)
        application = self.get_object()
        version = _require_version(request.data)
        base = {name: getattr(application, name) for name in funding_services.RESULT_FIELDS}
        form = bound_form(FundingResultForm, FundingResultInput, request.data, base)
        data = {name: form.cleaned_data[name] for name in [*funding_services.RESULT_FIELDS, "rejected"]}
        application = funding_services.record_result(user, application.pk, data, version)
        return self._saved(application)


# --- briefings (简报) ------------------------------------------------------------------------------

class BriefingFilter(filters.FilterSet):
    year = IntegerFilter()
    region = IntegerFilter(field_name="region_id", label="区划 id")
    kind = filters.ChoiceFilter(choices=Briefing.Kind.choices)
    state = filters.ChoiceFilter(choices=Briefing.State.choices)

    class Meta:
        model = Briefing
        fields: list[str] = []


@extend_schema_view(list=extend_schema(description="简报：可见区划已发布的各期；市级管理员另见草稿和已审核的。"))
class BriefingViewSet(viewsets.ReadOnlyModelViewSet):
    """Briefings (简报) as the archive shows them (``Briefing.objects.readable_by``), and the
    published issue's stored .docx and .pdf, exactly as published."""

    queryset = Briefing.objects.none()  # the model, for the schema (get_queryset needs the user)
    serializer_class = out.BriefingSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = BriefingFilter

    def get_queryset(self):
        return Briefing.objects.readable_by(signed_in(self.request)).select_related("region")

    def _stored(self, fmt: str) -> Any:
        briefing = self.get_object()
        stored = briefing.docx if fmt == "docx" else briefing.pdf
        if briefing.state != Briefing.State.PUBLISHED or not stored:
            raise NotFound(_("该简报尚未发布，没有归档文件"))
        return file_download(stored, f"{briefing.file_stem}.{fmt}")

    # (octet-stream in the schema, as the approvals' document: what a generated client can read)
    @extend_schema(summary="下载已发布简报的 Word 文件", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def docx(self, request: Request, pk: str | None = None) -> Any:
        return self._stored("docx")

    @extend_schema(summary="下载已发布简报的 PDF 文件", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def pdf(self, request: Request, pk: str | None = None) -> Any:
        return self._stored("pdf")


# --- assessment (考核排名) ---------------------------------------------------------------------------

class AssessmentPeriodFilter(filters.FilterSet):
    scheme = IntegerFilter(field_name="scheme_id", label="考核方案 id")
    year = IntegerFilter(field_name="scheme__year", label="考核年度")
    published = filters.BooleanFilter(field_name="published_at", lookup_expr="isnull", exclude=True,
                                      label="是否已发布")

    class Meta:
        model = Snapshot
        fields: list[str] = []


@extend_schema_view(list=extend_schema(description="考核期（取数快照）：市级看全部；县区和部门只看本市已发布的（通报）。"))
class AssessmentPeriodViewSet(viewsets.ReadOnlyModelViewSet):
    """Assessment periods the user may read (``Snapshot.objects.visible_to``: a county or a
    department reads its city's published ones); a period's ranks, scores and values computed from
    its frozen snapshot alone, and each group's rank history over the published periods."""

    queryset = Snapshot.objects.none()  # the model, for the schema (get_queryset needs the user)
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssessmentPeriodFilter

    def get_queryset(self):
        return (Snapshot.objects.visible_to(signed_in(self.request)).select_related("scheme__region")
                .order_by("scheme__region__code", "-scheme__year", "scheme__name", "-period"))

    def get_serializer_class(self):
        return out.AssessmentRankingSerializer if self.action == "retrieve" else out.AssessmentPeriodSerializer

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        snapshot = self.get_object()
        ranking = assessment_ranking.read(signed_in(request), snapshot)
        payload = {
            "id": snapshot.pk, "scheme": snapshot.scheme, "period": snapshot.period, "as_of": snapshot.as_of,
            "taken_at": snapshot.taken_at, "published": snapshot.published, "published_at": snapshot.published_at,
            "tie_break": ranking.tie_break_rule, "time_progress": ranking.time_progress, "notes": ranking.notes,
            "groups": [{"name": g.name, "member_kind": g.member_kind, "lines": g.lines, "rows": g.rows,
                        "red_list": [r.name for r in g.top], "black_list": [r.name for r in g.bottom]}
                       for g in ranking.groups]}
        return Response(out.AssessmentRankingSerializer(payload).data)

    @extend_schema(responses=out.RankHistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """名次变化: each group's members' ranks in the scheme's published periods up to this one."""
        snapshot = self.get_object()
        found = assessment_ranking.history(snapshot.scheme, assessment_periods.parse(snapshot.period))
        return Response(out.RankHistorySerializer(found, many=True).data)


# --- task lists (任务清单) ---------------------------------------------------------------------------

class TaskApiFilter(TaskFilter):
    """The task list's one filter (``tasklists.filters``), with the year and region the page reads
    beside it (``core.params``), declared here for the schema."""

    year = YearFilter(method="filter_noop", label="年度（默认为可见任务的最近年度）")
    region = IntegerFilter(method="filter_noop", label="区划 id（该区划的清单及其单位牵头或配合的任务）")

    class Meta(TaskFilter.Meta):
        pass


class TaskAreaFilter(filters.FilterSet):
    year = IntegerFilter()

    class Meta:
        model = TaskArea
        fields: list[str] = []


class TaskAreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The areas (方面) of the task lists: those of the user's region and those of the tasks they see."""

    queryset = TaskArea.objects.none()  # the model, for the schema (get_queryset needs the user)
    serializer_class = out.TaskAreaSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = TaskAreaFilter

    def get_queryset(self):
        user = signed_in(self.request)
        seen = Task.objects.visible_to(user).values("area")
        return (TaskArea.objects.filter(Q(pk__in=TaskArea.objects.visible_to(user).values("pk")) | Q(pk__in=seen))
                .select_related("region").order_by("region__code", "-year", "number"))


@extend_schema_view(list=extend_schema(description="任务清单，筛选条件与网页相同（方面、牵头单位、完成情况按统计日期 as_of 判断、关键词；"
                                                   "year、region 同网页）；响应中的 totals 为筛选结果的合计。"))
class TaskViewSet(viewsets.ReadOnlyModelViewSet):
    """Tasks as the task list's page finds them (``figures.task_rows_of`` and its one filter), a
    task with its milestones, targets and updates, and ``updates/``: a progress update by the
    task's lead unit (or the commission) through ``tasklists.services.record_update``."""

    queryset = Task.objects.none()  # the model, for the schema (get_queryset needs the user)
    totals_serializer = out.TaskTotalsSerializer  # the list's ``totals`` (api.schema)
    filter_backends = [ScopedFilterBackend]
    filterset_class = TaskApiFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema's own request: for the filter's parameters
            return Task.objects.none()
        user = signed_in(self.request)
        if self.action != "list":
            return (Task.objects.visible_to(user).select_related("area__region", "lead_unit", "leader")
                    .prefetch_related("co_units"))
        year = year_or_latest(self.request.query_params, Task.objects.visible_to(user))
        return figures.task_rows_of(user, year, region_asked(self.request))

    def get_serializer_class(self):
        return out.TaskSerializer if self.action == "list" else out.TaskDetailSerializer

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        found = ScopedFilterBackend().get_filterset(request, self.get_queryset(), self)
        assert isinstance(found, TaskApiFilter)  # (the view's filterset_class)
        if not found.is_valid():
            raise translate_validation(found.errors)
        day = found.judged_on
        totals = figures.task_list_totals(found.qs, day)
        paginator = self.paginator
        assert isinstance(paginator, Pagination)  # (settings.REST_FRAMEWORK's pagination class)
        paginator.known_count = totals["tasks"]
        page = self.paginate_queryset(found.qs.select_related("area__region", "lead_unit", "leader")
                                      .prefetch_related("co_units"))
        response = self.get_paginated_response(
            out.TaskSerializer(page, many=True, context={**self.get_serializer_context(), "day": day}).data)
        response.data["totals"] = out.TaskTotalsSerializer(totals).data
        return response

    def _detail(self, task: Task, code: int = status.HTTP_200_OK) -> Response:
        found = self.get_queryset().prefetch_related("milestones", "targets", "updates__author", "updates__unit",
                                                     "updates__values").get(pk=task.pk)
        return Response(out.TaskDetailSerializer(found, context=self.get_serializer_context()).data, status=code)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=out.TaskUpdateInput, responses={201: out.TaskDetailSerializer})
    @action(detail=True, methods=["post"])
    def updates(self, request: Request, pk: str | None = None) -> Response:
        """报送进展: a dated text, the targets' current values, the milestones reached, the task done
        (its lead unit's clerks, or the city's admins: others 403); ``version`` as read (409 if stale)."""
        user = signed_in(request)
        task = self.get_object()
        typed = out.TaskUpdateInput(data=request.data)
        typed.is_valid(raise_exception=True)
        data = typed.validated_data
        task_services.record_update(user, task.pk, {
            "on": data["on"], "text": data["text"], "done": data["done"], "milestones": data.get("milestones") or [],
            "values": {row["target"]: row["value"] for row in data.get("values") or []}}, data["version"])
        return self._detail(task, status.HTTP_201_CREATED)
