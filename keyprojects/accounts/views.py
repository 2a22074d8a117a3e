"""Units, users and leaders of the city: pages for city admins (and superusers)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from keyprojects.core.permissions import require_admin, restrict

from . import services
from .forms import LeaderForm, UnitForm, UserForm
from .models import Leader, Unit, User

KINDS = {
    "units": (Unit, UnitForm, services.save_unit, _("单位")),
    "users": (User, UserForm, services.save_user, _("用户")),
    "leaders": (Leader, LeaderForm, services.save_leader, _("包抓领导")),
}


def _querysets(actor: User) -> dict[str, Any]:
    return {
        "units": restrict(Unit.objects.select_related("region").annotate(n_users=Count("users")), actor, "edit"),
        "users": restrict(User.objects.select_related("unit__region").order_by("unit__region__code", "username"),
                          actor, "edit"),
        "leaders": restrict(Leader.objects.select_related("region", "user").annotate(n_projects=Count("projects")),
                            actor, "edit"),
    }


@login_required
def people(request: HttpRequest, kind: str = "units") -> HttpResponse:
    require_admin(request.user)
    if kind not in KINDS:
        kind = "units"
    return render(request, "accounts/people.html", {
        "kind": kind, "objects": _querysets(request.user)[kind], "kinds": {k: v[3] for k, v in KINDS.items()},
    })


@login_required
def edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    require_admin(request.user)
    model, form_class, save, label = KINDS[kind]
    instance = get_object_or_404(_querysets(request.user)[kind], pk=pk) if pk else None
    form = form_class(request.POST or None, instance=instance, actor=request.user)
    if request.method == "POST" and form.is_valid():
        extra: dict[str, Any] = {"password": form.cleaned_data.get("password")} if kind == "users" else {}
        try:
            save(request.user, form.cleaned_data, instance, **extra)
        except ValidationError as exc:
            for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("%(what)s已保存") % {"what": label})
            return redirect("accounts:people", kind=kind)
    return render(request, "accounts/edit.html", {"form": form, "kind": kind, "label": label, "instance": instance})
