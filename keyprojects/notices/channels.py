"""How a delivery leaves the building: one small interface, a sender per kind of channel.

``BaseChannel.send(delivery)`` sends it or raises (any exception: :func:`attempt` records it on
the delivery, logs it and tries again later). The senders:

- :class:`EmailChannel`: Django's mail (SMTP from ``KEYPROJECTS_EMAIL_*``, see settings), to a
  unit's shared mailbox or a user's own address (the daily digest);
- :class:`WeComChannel`: a 企业微信 group robot, ``{"msgtype": "markdown", "markdown":
  {"content": …}}``;
- :class:`DingTalkChannel`: a 钉钉 group robot, ``{"msgtype": "markdown", "markdown": {"title":
  …, "text": …}}``, its URL signed (timestamp and HMAC-SHA256) when the channel has a secret.

Robots are posted to with the standard library (urllib, a timeout), no HTTP client dependency.
An SMS gateway, when one is wanted, is one more subclass (its ``send`` posts to the gateway) and
one more choice in ``Channel.Kind`` mapped in ``SENDERS``; nothing else changes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import quote_plus, urljoin

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Channel, Delivery

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)  # an attempt under way is not started again before this (a worker killed mid-send)
BACKOFF = timedelta(minutes=5)  # the wait after the first failure, doubled after each further one
WECOM_LIMIT = 4096  # bytes of a 企业微信 markdown message
DINGTALK_LIMIT = 18000  # bytes of a 钉钉 one (its limit is 20,000 with the title)


class DeliveryFailed(Exception):
    """The far side refused the message (a robot's non-zero errcode)."""


class Undeliverable(DeliveryFailed):
    """A failure that trying again cannot mend: the channel switched off, no address."""


def absolute(url: str) -> str:
    """A link that works outside the site: ``KEYPROJECTS_SITE_URL`` before a path; "" for a path
    when the setting is empty (a group chat or a mail reader cannot follow a bare path)."""
    if url.startswith(("http://", "https://")):
        return url
    site = settings.KEYPROJECTS_SITE_URL
    return urljoin(site.rstrip("/") + "/", url.lstrip("/")) if site and url.startswith("/") else ""


def clipped(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode(errors="ignore") + "…"


class BaseChannel:
    def send(self, delivery: Delivery) -> None:
        raise NotImplementedError


class EmailChannel(BaseChannel):
    def send(self, delivery: Delivery) -> None:
        to = delivery.channel.email if delivery.channel else delivery.recipient.email if delivery.recipient else ""
        if not to:
            raise Undeliverable(_("没有收件邮箱"))
        link = absolute(delivery.url)
        text = "\n\n".join(part for part in (delivery.body, link, str(settings.PRODUCT_NAME)) if part)
        send_mail(f"【{settings.PRODUCT_NAME}】{delivery.subject}", text, None, [to])


class WebhookChannel(BaseChannel):
    """A group robot: the message posted as JSON, and its answer's ``errcode`` checked (both
    robots answer HTTP 200 with a non-zero errcode when they refuse a message)."""

    def send(self, delivery: Delivery) -> None:
        assert delivery.channel is not None
        post_json(self.url(delivery.channel), self.payload(delivery))

    def url(self, channel: Channel) -> str:
        return channel.webhook_url

    def payload(self, delivery: Delivery) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def markdown(delivery: Delivery, line_break: str = "\n") -> str:
        """Subject in bold, the body (its lines broken by ``line_break``), a link to the page,
        and the product's name (a robot with the 关键词 safety setting needs a word it knows:
        “重点项目” is in every message)."""
        lines = [f"**{delivery.subject}**"]
        if delivery.body:
            lines.append(line_break.join(delivery.body.splitlines()))
        if link := absolute(delivery.url):
            lines.append(f"[{_('查看详情')}]({link})")
        lines.append(f"—— {settings.PRODUCT_NAME}")
        return "\n\n".join(lines)


class WeComChannel(WebhookChannel):
    def payload(self, delivery: Delivery) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"content": clipped(self.markdown(delivery), WECOM_LIMIT)}}


class DingTalkChannel(WebhookChannel):
    def payload(self, delivery: Delivery) -> dict[str, Any]:
        # (钉钉's markdown breaks a line only at a newline with two spaces each side)
        text = self.markdown(delivery, line_break="  \n  ")
        return {"msgtype": "markdown", "markdown": {"title": delivery.subject, "text": clipped(text, DINGTALK_LIMIT)}}

    def url(self, channel: Channel) -> str:
        if not channel.secret:
            return channel.webhook_url
        timestamp, sign = dingtalk_sign(channel.secret)
        joiner = "&" if "?" in channel.webhook_url else "?"
        return f"{channel.webhook_url}{joiner}timestamp={timestamp}&sign={sign}"


def dingtalk_sign(secret: str, timestamp: int | None = None) -> tuple[int, str]:
    """钉钉's 加签: the time in milliseconds and, URL-encoded, the Base64 of the HMAC-SHA256 of
    ``"<timestamp>\\n<secret>"`` keyed by the secret."""
    timestamp = timestamp if timestamp is not None else round(time.time() * 1000)
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return timestamp, quote_plus(base64.b64encode(digest))


def post_json(url: str, payload: dict[str, Any]) -> None:
    """POST ``payload`` to a robot; raise unless it answers 2xx with errcode 0 (or no errcode)."""
    request = urllib.request.Request(
        url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    # (the URL's scheme is http or https: Channel's validator; urlopen raises on 4xx/5xx)
    with urllib.request.urlopen(request, timeout=settings.KEYPROJECTS_NOTICE_TIMEOUT) as response:  # noqa: S310
        answer = response.read(65536)
    try:
        reply = json.loads(answer) if answer.strip() else {}
    except ValueError:
        reply = {}
    if isinstance(reply, dict) and reply.get("errcode", 0) != 0:
        raise DeliveryFailed(f"errcode {reply.get('errcode')}: {reply.get('errmsg', '')}")


EMAIL = EmailChannel()
SENDERS: dict[str, BaseChannel] = {
    Channel.Kind.WECOM: WeComChannel(),
    Channel.Kind.DINGTALK: DingTalkChannel(),
    Channel.Kind.EMAIL: EMAIL,
}


def sender_for(delivery: Delivery) -> BaseChannel:
    """The channel's sender; a delivery to a user goes to their e-mail address."""
    return SENDERS[delivery.channel.kind] if delivery.channel else EMAIL


def attempt(delivery_id: int, *, retry: bool = True) -> Delivery | None:
    """Send the delivery if it is due, and record the outcome: sent; or the error, logged, and
    the next try after a wait that doubles (failed for good after the last attempt, or at once
    without ``retry``). The attempt is claimed first (its next try moved past the send), so two
    workers never send the same delivery at once; the send itself runs outside any transaction.
    Returns the delivery as it stands (None if there is none)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.state != Delivery.State.QUEUED or (
                delivery.next_try_at is not None and delivery.next_try_at > now):
            return delivery
        delivery.attempts += 1
        delivery.next_try_at = now + LEASE
        delivery.save(update_fields=["attempts", "next_try_at"])
    try:
        if delivery.channel is not None and not delivery.channel.active:
            raise Undeliverable(_("渠道已停用"))
        sender_for(delivery).send(delivery)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
        delivery.last_error = error
        if retry and delivery.attempts < settings.KEYPROJECTS_NOTICE_ATTEMPTS and not isinstance(exc, Undeliverable):
            delivery.next_try_at = timezone.now() + BACKOFF * 2 ** (delivery.attempts - 1)
            logger.warning("Delivery %s (%s) failed, attempt %s, tried again at %s: %s", delivery.pk, delivery,
                           delivery.attempts, delivery.next_try_at, error)
        else:
            delivery.state, delivery.next_try_at = Delivery.State.FAILED, None
            logger.error("Delivery %s (%s) given up after %s attempt(s): %s", delivery.pk, delivery,
                         delivery.attempts, error)
    else:
        delivery.state, delivery.sent_at, delivery.next_try_at = Delivery.State.SENT, timezone.now(), None
    delivery.save(update_fields=["state", "sent_at", "next_try_at", "last_error"])
    return delivery

