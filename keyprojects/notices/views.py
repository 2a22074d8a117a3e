"""A user's messages (/notices/), and the units' channels for city admins (/notices/channels/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from keyprojects.core.http import AuthenticatedRequest
from keyprojects.core.paging import Paginator
from keyprojects.core.permissions import require_admin
from keyprojects.projects.services import EditConflict

from . import services
from .forms import ChannelForm
from .models import Channel, Delivery, Message

PER_PAGE = 30
RECENT_DELIVERIES = 20


@login_required
def message_list(request: AuthenticatedRequest) -> HttpResponse:
    """The user's messages, unread first, newest first within each."""
    rows = (Message.objects.visible_to(request.user)
            .annotate(unread_first=ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField()))
            .order_by("-unread_first", "-created_at"))
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "notices/message_list.html", {"page": page, "query": ""})


@login_required
def message(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Open a message: it is marked read, and its page (the problem, the meeting …) opens; a
    message without one is shown here."""
    opened = services.read_message(request.user, pk)
    if opened.url and url_has_allowed_host_and_scheme(opened.url, allowed_hosts={request.get_host()}):
        return redirect(opened.url)
    link = opened.url if opened.url.startswith(("http://", "https://")) else ""  # another site's page
    return render(request, "notices/message.html", {"message": opened, "link": link})


@login_required
@require_POST
def read_all(request: AuthenticatedRequest) -> HttpResponse:
    count = services.read_all(request.user)
    messages.success(request, _("已将 %(n)d 条消息标为已读") % {"n": count})
    return redirect("notices:list")


# --- channels --------------------------------------------------------------------------------
@login_required
def channel_list(request: AuthenticatedRequest) -> HttpResponse:
    require_admin(request.user)
    channels = (Channel.objects.visible_to(request.user, "edit").select_related("unit__region")
                .annotate(n_sent=Count("deliveries", filter=Q(deliveries__state=Delivery.State.SENT)),
                          n_queued=Count("deliveries", filter=Q(deliveries__state=Delivery.State.QUEUED)),
                          n_failed=Count("deliveries", filter=Q(deliveries__state=Delivery.State.FAILED)),
                          last_sent=Max("deliveries__sent_at")))
    return render(request, "notices/channel_list.html", {"channels": channels})


@login_required
def channel_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    require_admin(request.user)
    channel = get_object_or_404(Channel.objects.visible_to(request.user, "edit"), pk=pk) if pk else None
    form = ChannelForm(request.POST or None, instance=channel, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_channel(request.user, data, pk, data.get("version"))
        except EditConflict as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            _errors_to(form, exc)
        else:
            messages.success(request, _("推送渠道“%(name)s”已保存") % {"name": saved.name})
            return redirect("notices:channels")
    deliveries = channel.deliveries.all()[:RECENT_DELIVERIES] if channel else []
    return render(request, "notices/channel_form.html", {
        "form": form, "channel": channel, "deliveries": deliveries})


def _errors_to(form: ChannelForm, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_POST
def channel_active(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    channel = services.set_channel_active(request.user, pk, active)
    messages.success(request, (_("推送渠道“%(name)s”已启用") if channel.active
                               else _("推送渠道“%(name)s”已停用，不再接收新消息")) % {"name": channel.name})
    return redirect("notices:channel", pk=pk)


@login_required
@require_POST
def channel_test(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    try:
        delivery = services.send_test(request.user, pk)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        if delivery.state == Delivery.State.SENT:
            messages.success(request, _("测试消息已发送，请在群里或邮箱中查看"))
        else:
            messages.error(request, _("测试消息发送失败：%(error)s") % {"error": delivery.last_error})
    return redirect("notices:channel", pk=pk)


@login_required
@require_POST
def channel_resend(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    count = services.resend_failed(request.user, pk)
    messages.success(request, _("已重新排队 %(n)d 条发送失败的消息") % {"n": count})
    return redirect("notices:channel", pk=pk)

