"""A round's conditions checked for its applications: each condition a ``Check`` that passed,
failed or cannot be judged yet (``None``), with its reason in words. Read-only: the screening
page shows them, and the commission's screening (``services.screen``) records its decision.

- 前期手续完备: every required pre-construction approval item of the project (the ``approvals``
  app's) obtained by the day; a project with none registered passes only if it has started.
- 申报时开工率: of the county's applications to the round, the share whose project had started by
  the round's deadline, at least the round's minimum.
- 发行时开工率: of the county's applications with money issued, the share whose project had
  started by the day its money was issued, at least the round's minimum.
- 下达后按期开工: the project started within the round's months after its money was issued.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from keyprojects.approvals.models import ProjectApproval
from keyprojects.indicators.engine import percent

from .models import Application, Round, add_months


@dataclass(frozen=True)
class Check:
    key: str
    name: str
    passed: bool | None  # None: not judged yet (money not issued, period not over)
    reason: str

    @property
    def label(self) -> str:
        return {True: _("符合"), False: _("不符合"), None: _("待判断")}[self.passed]


def _started(application: Application, day: date) -> bool:
    start = application.project.actual_start
    return start is not None and start <= day


def county_of(application: Application) -> int:
    """The county an application counts in for the start rates (its project's county, or the
    project's own region for a city-level one)."""
    region = application.project.region
    return region.parent_id if region.level == region.Level.ZONE and region.parent_id else region.pk


def start_rate(applications: Iterable[Application], issued_only: bool = False) -> tuple[int, int, Decimal | None]:
    """Started and counted applications, and the rate: at the deadline, or (``issued_only``) at
    each one's issuance."""
    counted = started = 0
    for a in applications:
        if issued_only:
            if a.issued_on is None:
                continue
            day = a.issued_on
        else:
            day = a.round.deadline
        counted += 1
        started += _started(a, day)
    return started, counted, percent(started, counted)


def screen_round(round_: Round, applications: list[Application], today: date) -> dict[int, list[Check]]:
    """Each application's checks (by its pk); ``applications`` are the round's, with their
    projects and regions loaded. The start rates are over each county's applications of all
    of them, so pass the round's whole list for rates that mean what they say."""
    counties: dict[int, list[Application]] = {}
    for a in applications:
        counties.setdefault(county_of(a), []).append(a)
    missing = _missing_approvals(round_, [a.project_id for a in applications], round_.deadline)
    return {a.pk: checks(round_, a, counties[county_of(a)], missing.get(a.project_id), today) for a in applications}


def _missing_approvals(round_: Round, project_ids: list[int], day: date) -> dict[int, tuple[int, list[str]]]:
    """By project: its required items and the names of those not obtained by ``day``."""
    if not round_.approvals_complete:
        return {}
    found: dict[int, tuple[int, list[str]]] = {}
    rows = (ProjectApproval.objects.filter(project_id__in=project_ids, required=True)
            .values_list("project_id", "item__name", "obtained_on").order_by("project_id", "item__order"))
    for project_id, name, obtained_on in rows:
        total, missing = found.get(project_id, (0, []))
        if obtained_on is None or obtained_on > day:
            missing.append(name)
        found[project_id] = (total + 1, missing)
    return found


def checks(round_: Round, application: Application, county: list[Application],
           approvals: tuple[int, list[str]] | None, today: date) -> list[Check]:
    found = []
    if round_.approvals_complete:
        deadline = round_.deadline
        if approvals is None:
            started = _started(application, deadline)
            found.append(Check("approvals", _("前期手续完备"), started,
                               _("未登记前期手续事项，项目已开工") if started
                               else _("未登记前期手续事项，项目尚未开工")))
        else:
            total, missing = approvals
            found.append(Check("approvals", _("前期手续完备"), not missing,
                               _("应办 %(total)s 项，截至 %(day)s 均已办结") % {"total": total, "day": deadline}
                               if not missing else
                               _("应办 %(total)s 项，截至 %(day)s 未办结 %(n)s 项：%(names)s")
                               % {"total": total, "day": deadline, "n": len(missing), "names": "、".join(missing)}))
    region = application.project.region.name
    if round_.min_start_rate_applied is not None:
        n_started, counted, rate = start_rate(county)
        found.append(Check("start_rate_applied", _("申报时开工率"),
                           rate is not None and rate >= round_.min_start_rate_applied,
                           _("%(region)s申报 %(n)s 个项目，截至 %(day)s 已开工 %(started)s 个，开工率 %(rate)s%%，"
                             "要求不低于 %(min)s%%") % {"region": region, "n": counted, "day": round_.deadline,
                                                    "started": n_started, "rate": rate, "min": round_.min_start_rate_applied}))
    if round_.min_start_rate_issued is not None:
        n_started, counted, rate = start_rate(county, issued_only=True)
        if application.issued_on is None:
            found.append(Check("start_rate_issued", _("发行时开工率"), None, _("资金尚未下达")))
        else:
            found.append(Check("start_rate_issued", _("发行时开工率"),
                               rate is not None and rate >= round_.min_start_rate_issued,
                               _("%(region)s已下达资金 %(n)s 个项目，下达时已开工 %(started)s 个，开工率 %(rate)s%%，"
                                 "要求不低于 %(min)s%%") % {"region": region, "n": counted, "started": n_started,
                                                        "rate": rate, "min": round_.min_start_rate_issued}))
    if round_.start_within_months is not None:
        months = round_.start_within_months
        if application.issued_on is None:
            found.append(Check("start_after_issue", _("下达后按期开工"), None, _("资金尚未下达")))
        else:
            due = add_months(application.issued_on, months)
            start = application.project.actual_start
            if start is not None and start <= due:
                found.append(Check("start_after_issue", _("下达后按期开工"), True,
                                   _("%(issued)s 下达，%(start)s 开工（时限 %(due)s）")
                                   % {"issued": application.issued_on, "start": start, "due": due}))
            elif today > due:
                found.append(Check("start_after_issue", _("下达后按期开工"), False,
                                   _("%(issued)s 下达，%(months)s 个月内（%(due)s 前）未开工")
                                   % {"issued": application.issued_on, "months": months, "due": due}))
            else:
                found.append(Check("start_after_issue", _("下达后按期开工"), None,
                                   _("%(issued)s 下达，尚未开工，开工时限 %(due)s")
                                   % {"issued": application.issued_on, "due": due}))
    return found


def passes(found: list[Check]) -> bool:
    """Whether nothing failed (conditions not judged yet do not hold an application back)."""
    return all(check.passed is not False for check in found)
