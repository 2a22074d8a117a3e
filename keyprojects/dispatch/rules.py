"""Who may do what to a problem they can see (their scope is ``core.permissions``'): the sides of a
problem and the states each action starts from.

- The raiser's side: the users of the unit that raised it (their writer roles). It signs off
  (销号) and returns (退回) a reply; only it, as the issue says ("only the raiser's side signs
  off"). A problem raised by an account without a unit has the dispatchers as its raiser's side.
- The dispatchers of its level: the city admins over the region handling it (its own, or the
  one it was escalated to). With the raiser's side they edit a problem awaiting assignment; they
  assign it (交办) and escalate it (提级), and so does the raiser's side when it holds a region (a
  county's clerk, a city's admin) — a problem an owner or a department raised is assigned by the
  dispatchers. An escalated problem is assigned (or escalated further) by the dispatchers of the
  level it went to, among their units, and continues there.
- The units assigned: the lead unit replies (办结答复, which asks the raiser to sign off); the lead
  unit and the co-units report progress (进展反馈). A unit replies only to what it is assigned.
Leaders and viewers read and never act. Each refusal says, in Chinese, who may do it instead.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from keyprojects.accounts.models import User
from keyprojects.core.permissions import WRITER_ROLES, holds_region, is_reviewer

from .models import Problem

State = Problem.State

# The states an action starts from.
FROM_STATES: dict[str, set[str]] = {
    "edit": {State.NEW},
    "assign": {State.NEW, State.ESCALATED},
    "progress": {State.IN_PROGRESS},
    "reply": {State.IN_PROGRESS},
    "sign_off": {State.REPLIED},
    "return": {State.REPLIED},
    "escalate": {State.NEW, State.IN_PROGRESS, State.REPLIED, State.ESCALATED},
}
ACTION_LABELS = {
    "edit": gettext_lazy("修改"), "assign": gettext_lazy("交办"), "progress": gettext_lazy("反馈进展"),
    "reply": gettext_lazy("办结答复"), "sign_off": gettext_lazy("销号"), "return": gettext_lazy("退回"),
    "escalate": gettext_lazy("提级"),
}
REFUSALS = {
    "edit": gettext_lazy("只有提出方或调度部门可以修改待交办的问题"),
    "assign": gettext_lazy("只有提出方或调度部门可以交办问题；已提级的问题由上级调度部门交办"),
    "progress": gettext_lazy("只有承办该问题的单位（牵头或配合）可以反馈进展"),
    "reply": gettext_lazy("只有牵头单位可以办结答复"),
    "sign_off": gettext_lazy("只有提出方可以销号"),
    "return": gettext_lazy("只有提出方可以退回答复"),
    "escalate": gettext_lazy("只有提出方或调度部门可以提级；已提级的问题由上级调度部门提级"),
}


def writes(user: User) -> bool:
    """A role that acts on problems (not a leader's or a viewer's), with a unit to act for."""
    return user.is_superuser or (user.is_active and user.role in WRITER_ROLES and user.unit_id is not None)


def dispatches(user: User, problem: Problem) -> bool:
    """A city admin over the region handling the problem now (or a superuser)."""
    return is_reviewer(user, problem.level)


def raiser_side(user: User, problem: Problem) -> bool:
    if user.is_superuser:
        return True
    if problem.raiser_unit_id is None:
        return dispatches(user, problem)
    return writes(user) and user.unit_id == problem.raiser_unit_id


def assigned(user: User, problem: Problem, lead_only: bool = False) -> bool:
    if user.is_superuser:
        return True
    unit = user.unit_id
    if unit is None or not writes(user) or problem.lead_unit_id is None:
        return False
    if unit == problem.lead_unit_id:
        return True
    return not lead_only and problem.co_units.filter(pk=unit).exists()


def on_side(user: User, problem: Problem, action: str) -> bool:
    """Whether ``user`` is on a side that may take ``action``, whatever the problem's state."""
    if action in ("assign", "escalate") and problem.escalated_to_id is not None:
        return dispatches(user, problem)  # the level it went to handles it from then on
    if action == "edit":
        return raiser_side(user, problem) or dispatches(user, problem)
    if action in ("assign", "escalate"):
        return (raiser_side(user, problem) and holds_region(user)) or dispatches(user, problem)
    if action in ("sign_off", "return"):
        return raiser_side(user, problem)
    if action == "reply":
        return assigned(user, problem, lead_only=True)
    if action == "progress":
        return assigned(user, problem)
    raise ValueError(action)


def may(user: User, problem: Problem, action: str) -> bool:
    return problem.state in FROM_STATES[action] and on_side(user, problem, action)


def actions(user: User, problem: Problem) -> set[str]:
    """The actions the problem's page offers ``user``."""
    return {action for action in FROM_STATES if may(user, problem, action)}


def require_may(user: User, problem: Problem, action: str) -> None:
    """403 for a user on no side that may take ``action``, then a ValidationError naming the
    problem's state when the action does not start from it."""
    if not on_side(user, problem, action):
        raise PermissionDenied(str(REFUSALS[action]))
    if problem.state not in FROM_STATES[action]:
        raise ValidationError(_("该问题当前为“%(state)s”，不能%(action)s") % {
            "state": problem.get_state_display(), "action": ACTION_LABELS[action]})
