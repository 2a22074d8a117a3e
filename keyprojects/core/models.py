from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history import register

from .audit import AuditedHistory


class DataVersion(models.Model):
    """Counters of committed writes: ``core.versions.changed`` adds one after every transaction
    that wrote, and cached figures are keyed by them (``core.cache``), so a figure computed
    before a write is never served after it. ``scope`` says which writes a row counts: the
    ``key`` of a ``core.versions.VersionScope``, whose docstring explains each kind."""

    scope = models.CharField(max_length=256, unique=True, default="")
    n = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.scope or 'all'}: {self.n}"


class ScheduledRun(models.Model):
    """A scheduled job enqueued for one due time (``core.schedule``): written before the job is
    enqueued, in the same transaction, so several workers' schedulers enqueue it once."""

    name = models.CharField(max_length=100)
    due_at = models.DateTimeField()
    enqueued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "due_at"], name="scheduled_run_once")]

    def __str__(self) -> str:
        return f"{self.name} @ {self.due_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """One link of the audit chain: a history row (or a sign-in) as it stood when sealed.

    ``digest`` covers the link's own columns, the row's every column (and its many-to-many
    snapshot) and the previous link's digest, so altering or removing any sealed row breaks the
    chain from there on (``keyprojects verify_audit``). The columns copied from the row are what
    the audit page filters on: one table, indexed, instead of a union of every history table.
    ``user_id`` and ``region_id`` are plain numbers, not foreign keys: deleting an account or a
    region must not rewrite (or be refused by) the trail."""

    seq = models.BigIntegerField(unique=True)  # its place in the chain, 1, 2, 3 … without gaps
    table = models.CharField(max_length=100)  # the history model ("projects.HistoricalProject") or "core.SignIn"
    row_id = models.BigIntegerField()
    model = models.CharField(max_length=100)  # the changed model ("projects.Project"); "core.SignIn" for sign-ins
    object_id = models.CharField(max_length=64, blank=True, default="")
    object_repr = models.CharField(max_length=200, blank=True, default="")
    action = models.CharField(max_length=8)  # + ~ - for changes; login, logout, failed, locked for sign-ins
    at = models.DateTimeField()
    user_id = models.BigIntegerField(null=True, blank=True)
    username = models.CharField(max_length=150, blank=True, default="")
    source = models.CharField(max_length=16, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    region_id = models.BigIntegerField(null=True, blank=True)  # the object's region, else the actor's unit's
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["table", "row_id"], name="audit_entry_once")]
        indexes = [
            models.Index(fields=["region_id", "seq"], name="audit_entry_region_seq"),
            models.Index(fields=["username", "seq"], name="audit_entry_user_seq"),
            models.Index(fields=["model", "object_id"], name="audit_entry_object"),
            models.Index(fields=["model", "seq"], name="audit_entry_model_seq"),
            models.Index(fields=["at"], name="audit_entry_at"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.model} {self.object_id} {self.action}"


class ChainHead(models.Model):
    """The end of the audit chain (one row): the sealer locks it, so two sealers never fork the
    chain, and it tells a removed tail from an intact one."""

    seq = models.BigIntegerField(default=0)
    digest = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"{self.seq}: {self.digest[:12]}"


class SignIn(models.Model):
    """A login, a logout or a failed login: who (or the name tried), when, from where, how it
    ended. Kept apart from django-axes' rows, which an unlock or a clean-up deletes."""

    class Result(models.TextChoices):
        LOGIN = "login", _("登录成功")
        LOGOUT = "logout", _("退出登录")
        FAILED = "failed", _("登录失败")
        LOCKED = "locked", _("已锁定，拒绝登录")

    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    user_id = models.BigIntegerField(_("用户"), null=True, blank=True, db_index=True)
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices)
    source = models.CharField(_("来源"), max_length=16, blank=True)
    ip = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录记录")
        verbose_name_plural = _("登录记录")

    def __str__(self) -> str:
        return f"{self.username} {self.result} {self.at:%Y-%m-%d %H:%M}"


# Permission groups are edited in the admin like any model: their changes are history too.
register(Group, app="keyprojects.core", bases=[AuditedHistory], cascade_delete_history=False,
         m2m_fields=["permissions"])
