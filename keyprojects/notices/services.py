"""Notifications, the one interface every app calls when people should hear of something
(:func:`notify`, :func:`notify_unit`); a user's reading of their messages; the units' channels,
managed by city admins.

``notify`` writes rows in the caller's transaction and sends nothing itself: the deliveries to
the units' channels are queued as jobs once that transaction commits (``tasks``), so a slow or
broken robot or mail server never holds up, or fails, the work that caused the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from keyprojects.accounts.models import Unit, User
from keyprojects.core.audit import acting_as, recorded
from keyprojects.core.bulk import chunks, insert_rows
from keyprojects.core.permissions import Actor, require_admin
from keyprojects.core.validation import validate
from keyprojects.projects.services import EditConflict

from .channels import attempt
from .models import Channel, Delivery, Message
from .tasks import send_after_commit

EVENT_LENGTH = 200
CHANNEL_FIELDS = ["unit", "name", "kind", "webhook_url", "email"]
RESEND_WITHIN = timedelta(days=7)  # failed deliveries a channel's "resend" sends again
TEST_EVENT = "test:"  # a channel's test messages: "test:<channel>:<time>", never sent again


def notify(event: str, recipients: Iterable[User], subject: str, body: str = "",
           url: str = "", *, units: Iterable[Unit] = ()) -> list[Message]:
    """event: a stable key of the thing that happened (e.g. "problem:42:overdue:2022-07-16");
    each (event, recipient) gets at most one Message, ever — calling again is a no-op for
    them. units: units whose configured channels (webhooks) also get it, at most once per
    (event, unit, channel). Messages are rows written in the caller's transaction; channel
    deliveries are queued as tasks after commit (transaction.on_commit) and never raise into
    the caller. Returns the messages written by this call."""
    if not event or len(event) > EVENT_LENGTH:
        raise ValueError(f"an event key of 1 to {EVENT_LENGTH} characters, not {event!r}")
    subject, url = subject[:200], url[:500]
    people = {user.pk: user for user in recipients if user.pk is not None}
    had = set(Message.objects.filter(event=event, recipient__in=list(people))
              .values_list("recipient_id", flat=True))
    now = timezone.now()
    created = []
    for pk, user in people.items():
        message = None if pk in had else Message.objects.create_once(
            event=event, recipient=user, subject=subject, body=body, url=url, created_at=now)
        if message is not None:
            created.append(message)
    unit_ids = {unit.pk for unit in units}
    if unit_ids:
        channels = Channel.objects.filter(unit__in=unit_ids, active=True)
        reached = set(Delivery.objects.filter(event=event, channel__in=channels).values_list("channel_id", flat=True))
        deliveries = []
        for channel in channels:
            delivery = None if channel.pk in reached else Delivery.objects.create_once(
                event=event, channel=channel, subject=subject, body=body, url=url, created_at=now,
                next_try_at=now)
            if delivery is not None:
                deliveries.append(delivery)
        send_after_commit(deliveries)
    return created


@dataclass
class Notice:
    """One event for ``notify_many``: what ``notify`` takes."""

    event: str
    recipients: Iterable[User]
    subject: str
    body: str = ""
    url: str = ""
    units: Sequence[Unit] = ()


def notify_many(notices: Sequence[Notice]) -> int:
    """``notify`` for many events at once (the daily warnings job tells of thousands on its first
    run): the messages already written are read a chunk of events at a time and the new ones
    inserted together (``core.bulk.insert_rows``), not a query and a savepoint per recipient;
    only the events of units that have a channel go through ``notify`` for their deliveries.
    Still at most one message per (event, recipient): a concurrent writer of the same one makes
    the caller's transaction fail, not a second message. Returns how many messages were written."""
    for notice in notices:
        if not notice.event or len(notice.event) > EVENT_LENGTH:
            raise ValueError(f"an event key of 1 to {EVENT_LENGTH} characters, not {notice.event!r}")
    had: set[tuple[str, int]] = set()
    for part in chunks(sorted({notice.event for notice in notices})):
        had |= set(Message.objects.filter(event__in=part).values_list("event", "recipient_id"))
    now, rows = timezone.now(), []
    for notice in notices:
        for pk in {user.pk for user in notice.recipients if user.pk is not None}:
            if (notice.event, pk) not in had:
                had.add((notice.event, pk))
                rows.append([pk, notice.event, notice.subject[:200], notice.body, notice.url[:500], now])
    if rows:
        fields = [Message._meta.get_field(name) for name in ("recipient", "event", "subject", "body", "url",
                                                             "created_at")]
        insert_rows(Message, fields, rows, touches=set())  # (a message is in no figure)
    reached = {unit.pk for notice in notices for unit in notice.units}
    if reached:
        reached = set(Channel.objects.filter(unit__in=reached, active=True).values_list("unit_id", flat=True))
    for notice in notices:
        units = [unit for unit in notice.units if unit.pk in reached]
        if units:
            notify(notice.event, [], notice.subject, notice.body, notice.url, units=units)
    return len(rows)


def notify_unit(event: str, unit: Unit, subject: str, body: str = "", url: str = "") -> list[Message]:
    """notify() for the active users of ``unit`` and its channels."""
    return notify(event, unit.users.filter(is_active=True), subject, body, url, units=[unit])


# --- reading --------------------------------------------------------------------------------
def unread_count(user: User) -> int:
    return Message.objects.visible_to(user).unread().count()


@transaction.atomic
def read_message(user: User, message_id: int) -> Message:
    """``user``'s message ``message_id``, marked read (404 for anybody else's)."""
    message = get_object_or_404(Message.objects.visible_to(user).select_for_update(), pk=message_id)
    if message.read_at is None:
        message.read_at = timezone.now()
        message.save(update_fields=["read_at"])
    return message


@transaction.atomic
def read_all(user: User) -> int:
    """Mark every unread message of ``user`` read; returns how many. (A save each, not one
    UPDATE: the code base writes no raw bulk update, see tests/test_projects.py.)"""
    now, count = timezone.now(), 0
    for message in Message.objects.visible_to(user).unread().select_for_update().only("pk", "read_at"):
        message.read_at = now
        message.save(update_fields=["read_at"])
        count += 1
    return count


# --- the units' channels (city admins) -------------------------------------------------------
def _locked_channel(actor: Actor, channel_id: int) -> Channel:
    require_admin(actor)  # (403 for any other role, as on the channels' pages)
    channel = get_object_or_404(Channel.objects.visible_to(actor, "edit").select_for_update(of=("self",))
                                .select_related("unit__region"), pk=channel_id)
    require_admin(actor, channel.unit.region)
    return channel


@acting_as
@transaction.atomic
def save_channel(actor: Actor, data: dict[str, Any], channel_id: int | None = None,
                 expected_version: int | None = None) -> Channel:
    """Add a channel to a unit of the actor's, or change one. ``data["secret"]`` empty keeps the
    stored secret, ``data["clear_secret"]`` removes it."""
    if channel_id is not None:
        channel = _locked_channel(actor, channel_id)
        if expected_version is not None and channel.version != expected_version:
            raise EditConflict(channel, expected_version)
        channel.version += 1
    else:
        require_admin(actor)
        channel = Channel()
    for field in CHANNEL_FIELDS:
        if field in data:
            setattr(channel, field, data[field])
    if data.get("clear_secret"):
        channel.secret = ""
    elif data.get("secret"):
        channel.secret = data["secret"].strip()
    require_admin(actor, channel.unit.region)  # the unit chosen is the actor's to manage
    validate(channel)
    channel.save()
    return channel


@acting_as
@transaction.atomic
def set_channel_active(actor: Actor, channel_id: int, active: bool) -> Channel:
    """Switch a channel on or off: off, it gets nothing new and its queued deliveries fail."""
    channel = _locked_channel(actor, channel_id)
    if channel.active != active:
        channel.active = active
        channel.version += 1
        channel.save()
    return channel


@acting_as
def send_test(actor: Actor, channel_id: int) -> Delivery:
    """Send a test message through the channel now and return the delivery as it ended (sent, or
    failed with the error: a test is not tried again)."""
    delivery = _queue_test(actor, channel_id)
    return attempt(delivery.pk, retry=False) or delivery


@transaction.atomic
def _queue_test(actor: Actor, channel_id: int) -> Delivery:
    channel = _locked_channel(actor, channel_id)
    if not channel.active:
        raise ValidationError(_("渠道已停用，请先启用再发送测试消息"))
    now = timezone.now()
    who = recorded(actor) or _("系统")
    return Delivery.objects.create(
        event=f"{TEST_EVENT}{channel.pk}:{now:%Y%m%d%H%M%S%f}", channel=channel, subject=_("测试消息"),
        body=_("这是一条测试消息：%(who)s 于 %(when)s 测试“%(channel)s”。收到即表示渠道配置正确。")
        % {"who": who, "when": f"{timezone.localtime(now):%Y-%m-%d %H:%M}", "channel": channel.name},
        url=reverse("notices:list"), created_at=now, next_try_at=now)


@acting_as
@transaction.atomic
def resend_failed(actor: Actor, channel_id: int) -> int:
    """Queue again the channel's deliveries of the last days that were given up (its address
    mended since); returns how many."""
    channel = _locked_channel(actor, channel_id)
    now = timezone.now()
    again = []
    failed = (channel.deliveries.filter(state=Delivery.State.FAILED, created_at__gte=now - RESEND_WITHIN)
              .exclude(event__startswith=TEST_EVENT))
    for delivery in failed:
        delivery.state, delivery.attempts, delivery.next_try_at = Delivery.State.QUEUED, 0, now
        delivery.save(update_fields=["state", "attempts", "next_try_at"])
        again.append(delivery)
    send_after_commit(again)
    return len(again)
