"""``GET /api/projects/changes/``: what a provincial platform pulls (``exchange.changes``)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as BadRequest
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from keyprojects.exchange import changes

from . import serializers as out
from .authentication import signed_in


class LatestMonthSerializer(serializers.Serializer):
    """The project's report of the latest month approved: the month's progress a province takes."""

    year = serializers.IntegerField(source="period.year", read_only=True)
    month = serializers.IntegerField(source="period.month", read_only=True)
    completed_month = out.money(help_text="本月完成投资（万元，四位小数）")
    completed_ytd = out.money(help_text="本年累计完成投资（万元，四位小数）")
    completed_since_start = out.money(help_text="开工累计完成投资（万元，四位小数）")
    started = serializers.BooleanField(read_only=True, help_text="本年已开复工")
    started_on = serializers.DateField(read_only=True, allow_null=True, help_text="开复工日期")
    progress = serializers.CharField(read_only=True, help_text="形象进度")
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="审核通过时间")


class ChangedProjectSerializer(out.ProjectSerializer):
    changed_at = serializers.DateTimeField(read_only=True)
    latest_month = LatestMonthSerializer(read_only=True, allow_null=True, help_text="最近一个已审核月份的月报；无则为 null")

    class Meta(out.ProjectSerializer.Meta):
        fields = [*out.ProjectSerializer.Meta.fields, "changed_at", "latest_month"]


class DeletedProjectSerializer(serializers.Serializer):
    """A deleted project's tombstone: what identified it, and when it went."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True, allow_null=True, help_text="项目代码")
    name = serializers.CharField(read_only=True)
    region = out.RegionRefSerializer(read_only=True, allow_null=True)
    deleted_at = serializers.DateTimeField(source="history_date", read_only=True)


class ProjectChangesView(APIView):
    @extend_schema(
        summary="项目变更（省平台拉取）",
        parameters=[
            OpenApiParameter("changed_since", OpenApiTypes.DATETIME, description="起始时间（含）；首次拉取时给出"),
            OpenApiParameter("cursor", OpenApiTypes.STR, description="上一次返回的 next_cursor；给出时忽略 changed_since"),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"每次最多条数（1–{changes.MAX_LIMIT}，默认 100）"),
        ],
        responses=inline_serializer("ProjectChanges", {
            "results": ChangedProjectSerializer(many=True),
            "deleted": DeletedProjectSerializer(many=True),
            "next_cursor": serializers.CharField(allow_null=True),
            "more": serializers.BooleanField(),
        }),
        description="按变更时间、id 排序的已变更项目，游标分页：用上一次的 next_cursor 继续，期间的修改不会导致漏行"
                    "（改过的项目排到后面再次出现）。项目的变更包括：项目本身、包抓领导、所属清单、资金来源、年度计划的修改，"
                    "以及月报的审核通过与更正，业主单位、责任单位、行业领域的修改（如更名）。results 为现值，latest_month 为最近一个"
                    "已审核月份的月报（本月、本年累计、开工累计完成投资，开复工，形象进度）；deleted 为同一时段内删除的项目（id、项目代码、名称、区划、"
                    "删除时间 deleted_at），请据此在省平台删除或标记；两者合计不超过 limit，按时间顺序同属一个游标。"
                    "变更须满 30 秒才返回，以免漏掉尚未提交的事务。",
    )
    def get(self, request: Request) -> Response:
        user = signed_in(request)
        params = request.query_params
        limit = params.get("limit", "100")
        try:
            if not limit.isdigit():
                raise ValidationError({"limit": "limit 应为 1 至 500 的整数"})
            since = changes.since_time(params["changed_since"]) if params.get("changed_since") else None
            page = changes.changed(user, since, params.get("cursor") or None, int(limit))
        except ValidationError as exc:
            raise BadRequest(exc.message_dict) from exc
        projects: list[Any] = page.projects
        if projects:  # what the serializer reads, fetched for the page at once
            prefetch_related_objects(projects, "leaders", "lists", "funding", "plans", "region", "sector", "owner",
                                     "responsible_unit")
            changes.with_latest_month(projects)
        return Response({
            "results": ChangedProjectSerializer(projects, many=True).data,
            "deleted": DeletedProjectSerializer(page.deleted, many=True).data,
            "next_cursor": page.cursor, "more": page.more,
        })
