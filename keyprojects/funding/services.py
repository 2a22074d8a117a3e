"""Funding rounds' operations: one transaction each, scope checked through ``core.permissions``
before and after, versions checked on edits, every change audited.

The city's commission (a city admin) opens rounds (``save_round``), screens the applications
(``screen``: recommended to the province or not, the conditions shown beside), records the
province's result (``record_result``, or the import of its list in ``province.py``) and the
money issued and spent. A county's clerks propose their projects (``propose``) until the deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.permissions import Actor, require, require_admin
from keyprojects.core.validation import validate
from keyprojects.projects.models import Project
from keyprojects.projects.services import _check_version
from keyprojects.regions.models import Region

from .models import Application, Round

ROUND_FIELDS = ["kind", "year", "batch", "deadline", "note", "approvals_complete", "min_start_rate_applied",
                "min_start_rate_issued", "start_within_months", "spend_within_months"]
# What the commission records after the province's decision (amounts, dates, documents).
RESULT_FIELDS = ["approved", "approved_on", "approval_number", "issued", "issued_on", "issue_number", "spent",
                 "spent_on"]


def _today(today: date | None) -> date:
    return today or timezone.localdate()


@acting_as
@transaction.atomic
def save_round(user: Actor, region: Region, data: Mapping[str, Any], round_id: int | None = None,
               expected_version: int | None = None) -> Round:
    """Open a round for ``region`` (a city admin's) or change one; one that limits the time after
    issuance gives the region the warning rule of idle funds."""
    require_admin(user, region)
    if round_id:
        round_ = Round.objects.select_for_update().get(pk=round_id, region=region)
        _check_version(round_, expected_version)
        round_.version += 1
    else:
        round_ = Round(region=region)
    for name in ROUND_FIELDS:
        if name in data:
            setattr(round_, name, data[name])
    round_.batch = (round_.batch or "").strip()
    validate(round_)
    round_.save()
    if round_.start_within_months is not None or round_.spend_within_months is not None:
        # the region's rule of idle funds (its defaults, once: its admins may change or switch it
        # off), which the daily evaluation of warnings (alerts.tasks) then applies to the round
        from keyprojects.alerts import services as alerts
        from keyprojects.alerts.models import Kind

        alerts.create_default_rules(user, region, kinds=(Kind.FUNDS_IDLE,))
    return round_


@acting_as
@transaction.atomic
def propose(user: Actor, round_id: int, project: Project, requested: Decimal | None,
            today: date | None = None) -> Application:
    """A county proposes one of its projects to a round, with the amount it requests: by the
    deadline, a project in the round's region that the user may change, once per round."""
    round_ = Round.objects.select_for_update().get(pk=round_id)
    require(user, "edit", project)
    day = _today(today)
    errors: dict[str, str] = {}
    if day > round_.deadline:
        errors["round"] = _("%(round)s已于 %(date)s 截止申报") % {"round": round_, "date": round_.deadline}
    if not project.region.is_within(round_.region):
        errors["project"] = _("项目“%(project)s”不在%(region)s范围内") % {"project": project, "region": round_.region.name}
    elif Application.objects.filter(round=round_, project=project).exists():
        errors["project"] = _("项目“%(project)s”已申报本批次") % {"project": project}
    if requested is None or not requested.is_finite() or requested <= 0:
        errors["requested"] = _("申请金额应为大于 0 的数（万元）")
    elif requested > project.total_investment:
        errors["requested"] = _("申请金额（%(req)s 万元）不能超过项目总投资（%(total)s 万元）") % {
            "req": requested, "total": project.total_investment}
    if errors:
        raise ValidationError(errors)
    application = Application(round=round_, project=project, requested=requested, proposed_on=day,
                              proposed_by=recorded(user))
    validate(application)
    application.save()
    require(user, "edit", application)
    return application


@acting_as
@transaction.atomic
def withdraw(user: Actor, application_id: int, expected_version: int | None = None,
             today: date | None = None) -> None:
    """A county takes back an application not yet screened, before the deadline."""
    application = Application.objects.select_for_update().select_related("round").get(pk=application_id)
    require(user, "edit", application)
    _check_version(application, expected_version)
    if application.state != Application.State.PROPOSED or _today(today) > application.round.deadline:
        raise ValidationError(_("只能在申报截止前撤回尚未筛选的申报"))
    application.delete()


def _admin_application(user: Actor, application_id: int, expected_version: int | None) -> Application:
    application = (Application.objects.select_for_update(of=("self",)).select_related("round__region", "project")
                   .get(pk=application_id))
    require(user, "view", application)
    require_admin(user, application.round.region)
    _check_version(application, expected_version)
    return application


@acting_as
@transaction.atomic
def screen(user: Actor, application_id: int, recommend: bool, note: str = "", expected_version: int | None = None,
           today: date | None = None) -> Application:
    """The commission's screening: the application recommended to the province or not, with a
    note (a reason is needed for one not recommended). Not once the province has decided."""
    application = _admin_application(user, application_id, expected_version)
    if application.state in (Application.State.APPROVED, Application.State.REJECTED):
        raise ValidationError({"state": _("省级已有结果（%(state)s），不能再筛选") % {
            "state": application.get_state_display()}})
    note = (note or "").strip()
    if not recommend and not note:
        raise ValidationError({"screening_note": _("不推荐的项目请填写筛选意见")})
    application.state = Application.State.RECOMMENDED if recommend else Application.State.NOT_RECOMMENDED
    application.screening_note, application.screened_on = note, _today(today)
    application.version += 1
    validate(application)
    application.save()
    return application


@acting_as
@transaction.atomic
def record_result(user: Actor, application_id: int, data: Mapping[str, Any],
                  expected_version: int | None = None) -> Application:
    """The province's result and what followed (the commission's): approved amount, date and
    批复文号; issued amount, date and 下达文号; spent amount as of a date. An approved amount
    makes the application approved; ``rejected`` (true) records that the province turned it down."""
    application = _admin_application(user, application_id, expected_version)
    _apply_result(application, data)
    validate(application)
    application.save()
    return application


def _apply_result(application: Application, data: Mapping[str, Any]) -> None:
    if data.get("rejected"):
        if application.issued is not None:
            raise ValidationError({"state": _("已下达资金的项目不能标记为未获批")})
        application.state = Application.State.REJECTED
        for name in RESULT_FIELDS:
            setattr(application, name, "" if name.endswith("number") else None)
    else:
        for name in RESULT_FIELDS:
            if name in data:
                value = data[name]
                setattr(application, name, (value or "").strip() if name.endswith("number") else value)
        if application.approved is not None:
            application.state = Application.State.APPROVED
        elif application.state == Application.State.APPROVED:
            application.state = Application.State.RECOMMENDED
    application.version += 1


def require_round_admin(user: Actor, round_: Round) -> None:
    """The commission of the round's region (its screening, the province's result)."""
    try:
        require_admin(user, round_.region)
    except PermissionDenied:
        raise PermissionDenied(_("只有%(region)s发展改革部门可以办理该批次的筛选和结果录入")
                               % {"region": round_.region.name}) from None


