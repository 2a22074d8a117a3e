"""Units, users and leaders of the city: pages for city admins (and superusers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Model
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.forms import add_service_errors, submitted
from keyprojects.core.http import AuthenticatedRequest
from keyprojects.core.paging import Paginator
from keyprojects.core.params import valid_filter
from keyprojects.core.permissions import require_admin, restrict

from . import services
from .filters import LeaderFilter, UnitFilter, UserFilter
from .forms import LeaderForm, TokenForm, UnitForm, UserForm
from .models import ApiToken, Leader, Unit, User


class Kind(NamedTuple):
    """What the people pages manage: its model, form, service and name."""

    model: type[Model]
    form: Callable[..., ModelForm]  # (data, instance=, actor=)
    save: Callable[..., Model]  # (actor, the form's cleaned data, the instance or None, ...)
    label: str
    filter: type[Any]  # the list's filter set (accounts.filters)
    shown: Callable[[Any], Any]  # the filtered rows with what the list shows of each


PAGE_SIZE = 50

KINDS = {
    "units": Kind(Unit, UnitForm, services.save_unit, _("单位"), UnitFilter,
                  lambda rows: rows.select_related("region").annotate(n_users=Count("users"))),
    "users": Kind(User, UserForm, services.save_user, _("用户"), UserFilter,
                  lambda rows: rows.select_related("unit__region").order_by("unit__region__code", "username")),
    "leaders": Kind(Leader, LeaderForm, services.save_leader, _("包抓领导"), LeaderFilter,
                    lambda rows: rows.select_related("region", "user").annotate(n_projects=Count("projects"))),
}


def _querysets(actor: User) -> dict[str, Any]:
    return {name: restrict(kind.model._default_manager.all(), actor, "edit") for name, kind in KINDS.items()}


@login_required
def people(request: AuthenticatedRequest, kind: str = "units") -> HttpResponse:
    """A page of units, users or leaders, searched by name and filtered by type or role: a city
    has some 400 units, too many for one page."""
    require_admin(request.user)
    if kind not in KINDS:
        kind = "units"
    found = valid_filter(KINDS[kind].filter(request.GET, queryset=_querysets(request.user)[kind], user=request.user))
    page = Paginator(KINDS[kind].shown(found.qs), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/people.html", {
        "kind": kind, "filter": found, "page": page, "query": query.urlencode(),
        "kinds": {k: v.label for k, v in KINDS.items()},
    })


@login_required
def edit(request: AuthenticatedRequest, kind: str, pk: int | None = None) -> HttpResponse:
    require_admin(request.user)
    if kind not in KINDS:
        raise Http404
    model, form_class, save, label = KINDS[kind][:4]
    instance = get_object_or_404(_querysets(request.user)[kind], pk=pk) if pk else None
    form = form_class(request.POST or None, instance=instance, actor=request.user)
    if request.method == "POST" and submitted(form, lambda: save(request.user, form.cleaned_data, instance, **(
            {"password": form.cleaned_data.get("password")} if kind == "users" else {}))) is not None:
        messages.success(request, _("%(what)s已保存") % {"what": label})
        return redirect("accounts:people", kind=kind)
    return render(request, "accounts/edit.html", {"form": form, "kind": kind, "label": label, "instance": instance})


@login_required
def tokens(request: AuthenticatedRequest) -> HttpResponse:
    """A user's own API tokens: create one (its key is shown once, on this response only)."""
    form = TokenForm(request.POST or None)
    new_key = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # The chosen day is the last one it works: it ends at midnight after it, local time.
        expires_at = (timezone.make_aware(datetime.combine(data["expires_on"] + timedelta(days=1), time.min))
                      if data["expires_on"] else None)
        try:
            token, new_key = services.create_token(request.user, request.user, data["name"], expires_at=expires_at,
                                                   read_only=data["read_only"], allowed_ips=data["allowed_ips"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = TokenForm()
            messages.success(request, _("接口令牌“%(name)s”已创建") % {"name": token.name})
    return render(request, "accounts/tokens.html", {
        "form": form, "new_key": new_key, "tokens": request.user.api_tokens.all(),
    })


@login_required
@require_POST
def revoke_token(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_token(request.user, token.pk)
    messages.success(request, _("接口令牌“%(name)s”已吊销，使用它的程序将无法再访问") % {"name": token.name})
    return redirect("tokens")


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None,
               credentials: dict[str, Any] | None = None) -> HttpResponse:
    """django-axes' answer to a login of a locked-out account or address (AXES_LOCKOUT_CALLABLE):
    in Chinese, how long the lock lasts and whom to ask; 429, as axes answers."""
    cool_off = settings.AXES_COOLOFF_TIME
    minutes = round(cool_off.total_seconds() / 60) if isinstance(cool_off, timedelta) else None
    return render(request, "registration/locked_out.html",
                  {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}, status=429)


@login_required
def sessions(request: AuthenticatedRequest) -> HttpResponse:
    """The user's sessions on other browsers and devices, and a button that ends them all."""
    if request.method == "POST":
        ended = services.end_other_sessions(request.user, request.session.session_key)
        messages.success(request, _("已退出其他 %(n)s 处登录") % {"n": ended})
        return redirect("my_sessions")
    others = services.other_sessions(request.user, request.session.session_key)
    return render(request, "accounts/sessions.html", {"others": others,
                                                      "idle_minutes": settings.SESSION_COOKIE_AGE // 60})
