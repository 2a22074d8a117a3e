"""The jobs that send notifications (``keyprojects worker``, ``core.jobs``): a delivery queued by
``services.notify`` is sent by :func:`deliver` once its transaction commits; what failed, or was
never picked up, is tried again by :func:`retry_deliveries`; :func:`send_digests` e-mails each
user their unread messages once a day. The recurring ones are declared in ``core/schedule.py``."""

from __future__ import annotations

import functools
import itertools
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from keyprojects.core.audit import Source, audit_context

from .channels import absolute, attempt
from .models import Delivery, Message

logger = logging.getLogger(__name__)

RETRIED_AT_ONCE = 100  # deliveries a run of retry_deliveries sends at most; the next run goes on
DIGEST_LISTS = 30  # messages a digest lists by name; the rest are counted


def send_after_commit(deliveries: Iterable[Delivery]) -> None:
    """Queue a :func:`deliver` job for each delivery once the open transaction commits (none if it
    rolls back). A job that cannot be queued is logged and left to :func:`retry_deliveries`:
    nothing is raised into the code that committed."""
    ids = [delivery.pk for delivery in deliveries]
    if ids:
        transaction.on_commit(functools.partial(_enqueue, ids), robust=True)


def _enqueue(ids: list[int]) -> None:
    for pk in ids:
        try:
            deliver.enqueue(pk)
        except Exception:
            logger.exception("Delivery %s not queued; the retry job will send it", pk)


@task
def deliver(delivery_id: int) -> str:
    """Send one delivery (if it is still due); returns its state."""
    with audit_context(Source.SYSTEM, detail="deliver"):
        delivery = attempt(delivery_id)
    return delivery.state if delivery else ""


@task
def retry_deliveries() -> int:
    """Send the deliveries that are due: failed earlier and waited their time, or queued and
    never sent (their job lost). Returns how many were sent."""
    now = timezone.now()
    due = list(Delivery.objects.due(now).order_by("next_try_at").values_list("pk", flat=True)[:RETRIED_AT_ONCE])
    sent = 0
    with audit_context(Source.SYSTEM, detail="retry_deliveries"):
        for pk in due:
            delivery = attempt(pk)
            sent += delivery is not None and delivery.state == Delivery.State.SENT
    return sent


@task
def send_digests() -> int:
    """The daily digest (``core/schedule.py``); returns how many were queued."""
    with audit_context(Source.SYSTEM, detail="send_digests"):
        return len(queue_digests(timezone.now()))


@transaction.atomic
def queue_digests(now: datetime) -> list[Delivery]:
    """For each active user with an e-mail address and unread messages of the day before ``now``,
    an e-mail listing them: once per user per day (event ``digest:<user>:<date>``)."""
    day = timezone.localdate(now)
    unread = (Message.objects.unread().filter(created_at__gt=now - timedelta(days=1), created_at__lte=now,
                                             recipient__is_active=True)
              .exclude(recipient__email="").select_related("recipient").order_by("recipient", "-created_at"))
    queued = []
    for _recipient, group in itertools.groupby(unread.iterator(), key=lambda message: message.recipient_id):
        messages = list(group)
        user = messages[0].recipient
        delivery = Delivery.objects.create_once(
            event=f"digest:{user.pk}:{day.isoformat()}", recipient=user,
            subject=_("%(day)s：您有 %(n)d 条未读消息") % {"day": f"{day:%Y-%m-%d}", "n": len(messages)},
            body=digest_text(user.display_name or user.username, messages))
        if delivery is not None:
            queued.append(delivery)
    send_after_commit(queued)
    return queued


def digest_text(name: str, messages: list[Message]) -> str:
    lines = [_("%(name)s，您好：") % {"name": name}, "",
             _("过去一天您有 %(n)d 条未读消息：") % {"n": len(messages)}, ""]
    for number, message in enumerate(messages[:DIGEST_LISTS], start=1):
        when = timezone.localtime(message.created_at)
        lines.append(f"{number}. {message.subject}（{when:%m-%d %H:%M}）")
        if link := absolute(reverse("notices:message", args=[message.pk])):
            lines.append(f"   {link}")
    if len(messages) > DIGEST_LISTS:
        lines.append(_("……另有 %(n)d 条") % {"n": len(messages) - DIGEST_LISTS})
    if link := absolute(reverse("notices:list")):
        lines += ["", _("全部消息：%(url)s") % {"url": link}]
    lines += ["", _("本邮件每天发送一次，只列出过去一天的未读消息。")]
    return "\n".join(lines)
