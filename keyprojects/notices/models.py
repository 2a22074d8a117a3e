"""Notifications: a user's in-app messages, the channels a unit is told through (group robots of
企业微信 and 钉钉, a shared mailbox) and the deliveries to them.

Messages and deliveries are not audited: they are what audited events produced (the problem,
the meeting, the report keeps its own history), a message's read mark is its recipient's own
business, and a delivery row is itself the log of what was sent where, how often it was tried
and why it failed. Channels are master data managed by city admins: audited like units, their
signing secret kept out of the history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import Unit, User
from keyprojects.core.audit import audited
from keyprojects.core.permissions import Action, Viewer, restrict
from keyprojects.core.versions import Touched


def validate_webhook_url(value: str) -> None:
    """An http(s) address with a host. Not Django's URLValidator: the intranet editions of the
    robots are often reached by a bare host name, which it refuses."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise ValidationError(_("请填写以 http:// 或 https:// 开头的完整地址"), code="invalid")


class OnceQuerySet(models.QuerySet[Any]):
    def create_once(self, **fields: Any) -> Any:
        """A new row, or None if one with the same unique key exists (written meanwhile by another
        transaction too: the insert runs in a savepoint, so the caller's transaction goes on)."""
        try:
            with transaction.atomic():
                return self.create(**fields)
        except IntegrityError:
            return None


class ChannelQuerySet(models.QuerySet["Channel"]):
    def visible_to(self, user: Viewer, action: Action = "view") -> ChannelQuerySet:
        return restrict(self, user, action)


class Channel(models.Model):
    """Where a unit is told of what concerns it, besides its users' in-app messages. A new kind
    (an SMS gateway) is a choice here and a sender in ``channels.py``."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("企业微信群机器人")
        DINGTALK = "dingtalk", _("钉钉群机器人")
        EMAIL = "email", _("邮件")

    WEBHOOKS = (Kind.WECOM, Kind.DINGTALK)

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="channels")
    name = models.CharField(_("名称"), max_length=64, help_text=_("便于识别，例如“项目办工作群”"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    webhook_url = models.CharField(
        _("Webhook 地址"), max_length=500, blank=True, validators=[validate_webhook_url],
        help_text=_("群机器人的 Webhook 地址，内网版填写内网地址"))
    email = models.EmailField(_("邮箱"), blank=True, help_text=_("单位的共用邮箱"))
    secret = models.CharField(_("加签密钥"), max_length=128, blank=True,
                              help_text=_("钉钉机器人安全设置中“加签”的密钥（SEC 开头）；未启用加签则留空"))
    active = models.BooleanField(_("启用"), default=True)
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    objects = ChannelQuerySet.as_manager()
    history = audited(excluded_fields=["secret"])  # a credential: not copied into the trail

    scope_paths = {"region": "unit__region", "unit": "unit"}

    class Meta:
        verbose_name = _("推送渠道")
        verbose_name_plural = _("推送渠道")
        ordering = ["unit__region__code", "unit__name", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="channel_unique_name_in_unit")]

    def __str__(self) -> str:
        return f"{self.unit}·{self.name}"

    def clean(self) -> None:
        """The address its kind needs; what another kind would use is dropped (a channel
        changed from a robot to a mailbox keeps no robot's key or secret)."""
        if self.kind != self.Kind.DINGTALK:
            self.secret = ""
        if self.kind == self.Kind.EMAIL:
            self.webhook_url = ""
        elif self.kind in self.WEBHOOKS:
            self.email = ""
        if self.kind in self.WEBHOOKS and not self.webhook_url:
            raise ValidationError({"webhook_url": _("群机器人必须填写有效的 Webhook 地址")})
        if self.kind == self.Kind.EMAIL and not self.email:
            raise ValidationError({"email": _("邮件渠道必须填写有效的邮箱")})

    def touched(self) -> Touched:
        return set()  # no figure

    @property
    def address(self) -> str:
        """Where it points, fit to show: a mailbox, or a robot's host (its URL holds its key)."""
        if self.kind == self.Kind.EMAIL:
            return self.email
        return urlsplit(self.webhook_url).netloc


class MessageQuerySet(OnceQuerySet):
    def visible_to(self, user: Viewer) -> MessageQuerySet:
        """A message is its recipient's alone, whatever their role: no region reaches it."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient=user.pk)

    def unread(self) -> MessageQuerySet:
        return self.filter(read_at__isnull=True)


class Message(models.Model):
    """An in-app message: at most one per (event, recipient), ever (``services.notify``)."""

    recipient = models.ForeignKey(User, verbose_name=_("收件人"), on_delete=models.CASCADE,
                                  related_name="notices", db_index=False)  # (the inbox index leads with it)
    event = models.CharField(_("事件"), max_length=200)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("时间"), default=timezone.now)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("消息")
        verbose_name_plural = _("消息")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="message_once_per_event")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="message_inbox"),
            # the header's unread count on every page: only the unread rows
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="message_unread"),
        ]

    def __str__(self) -> str:
        return self.subject

    def touched(self) -> Touched:
        return set()  # no figure

    @property
    def unread(self) -> bool:
        return self.read_at is None


class DeliveryQuerySet(OnceQuerySet):
    def due(self, now: datetime) -> DeliveryQuerySet:
        return self.filter(state=Delivery.State.QUEUED, next_try_at__lte=now)


class Delivery(models.Model):
    """One event sent once through one channel of a unit, or to one user's own e-mail address
    (the daily digest): its state, attempts and last error. Unique per (event, channel) and per
    (event, recipient), so nothing is sent twice; a failure is tried again later
    (``channels.attempt``) and given up after ``KEYPROJECTS_NOTICE_ATTEMPTS`` attempts."""

    class State(models.TextChoices):
        QUEUED = "queued", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    event = models.CharField(_("事件"), max_length=200)
    channel = models.ForeignKey(Channel, verbose_name=_("渠道"), null=True, blank=True, on_delete=models.CASCADE,
                                related_name="deliveries")
    recipient = models.ForeignKey(User, verbose_name=_("收件人"), null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="deliveries")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    next_try_at = models.DateTimeField(_("下次尝试"), null=True, blank=True, default=timezone.now)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        verbose_name = _("推送记录")
        verbose_name_plural = _("推送记录")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__isnull=False, recipient__isnull=True)
                                   | Q(channel__isnull=True, recipient__isnull=False), name="delivery_one_target"),
            models.UniqueConstraint(fields=["event", "channel"], condition=Q(channel__isnull=False),
                                    name="delivery_once_per_channel"),
            models.UniqueConstraint(fields=["event", "recipient"], condition=Q(recipient__isnull=False),
                                    name="delivery_once_per_recipient"),
        ]
        indexes = [models.Index(fields=["next_try_at"], condition=Q(state="queued"), name="delivery_due")]

    def __str__(self) -> str:
        return f"{self.event} → {self.channel or self.recipient}"

    def touched(self) -> Touched:
        return set()  # no figure
