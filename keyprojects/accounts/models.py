"""Units (单位), users with a role, and city leaders who package projects (包抓)."""

from __future__ import annotations

import ipaddress
import re

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from keyprojects.core.audit import audited
from keyprojects.core.versions import Label, Touched
from keyprojects.regions.models import Region, simplify


class Unit(Label, models.Model):
    class Kind(models.TextChoices):
        # A department's level is in its kind, as a clerk filters by it (市直部门 or 县区部门);
        # a government's is in its region (葫芦岛市人民政府, 连山区人民政府).
        DEPARTMENT = "department", _("市直部门")
        COUNTY_DEPARTMENT = "county_dept", _("县区部门")
        GOVERNMENT = "government", _("人民政府")
        ZONE_COMMITTEE = "zone", _("开发区管委会")
        ENTERPRISE = "enterprise", _("企业")
        OTHER = "other", _("其他")

    name = models.CharField(_("单位名称"), max_length=128)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="units")
    kind = models.CharField(_("单位类型"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=32, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)

    history = audited()

    # Fields through which a user's scope reaches a unit (see core.permissions).
    scope_paths = {"region": "region", "unit": "id"}

    class Meta:
        verbose_name = _("单位")
        verbose_name_plural = _("单位")
        ordering = ["region__code", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="unit_unique_name_in_region")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = simplify(self.name)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """A department's kind fits its region's level: a county's 发改局 is not a 市直部门."""
        if not self.region_id or self.kind not in (self.Kind.DEPARTMENT, self.Kind.COUNTY_DEPARTMENT):
            return
        if self.kind != department_kind(self.region):
            raise ValidationError({"kind": _("“%(region)s”的部门应为“%(kind)s”") % {
                "region": self.region, "kind": self.Kind(department_kind(self.region)).label}})


def department_kind(region: Region) -> str:
    """The kind of a government department in ``region``: 县区部门 in a county, a district or a
    zone; 市直部门 in a city, a county-level one too (迁安市's bureaus are its 市直部门)."""
    below_city = region.level in (Region.Level.COUNTY, Region.Level.ZONE) and not region.name.endswith("市")
    return Unit.Kind.COUNTY_DEPARTMENT if below_city else Unit.Kind.DEPARTMENT


class User(AbstractUser):
    class Role(models.TextChoices):
        CITY_ADMIN = "city_admin", _("市级管理员")
        COUNTY_CLERK = "county_clerk", _("县区填报员")
        DEPARTMENT_CLERK = "department_clerk", _("部门填报员")
        LEADER = "leader", _("市级领导")
        OWNER = "owner", _("项目业主")
        VIEWER = "viewer", _("只读用户")

    display_name = models.CharField(_("姓名"), max_length=32, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("所属单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    # Passwords are not history: keep the hash out of the audit trail.
    history = audited(excluded_fields=["password", "last_login"], m2m_fields=["groups", "user_permissions"])

    scope_paths = {"region": "unit__region", "unit": "unit"}

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.display_name or self.username

    def touched(self) -> Touched:
        """No figure: what a user sees is filtered by their scope afresh on every request, and a
        remembered figure is keyed by that filter (``core.cache``), not by the account."""
        return set()

    @property
    def region(self) -> Region | None:
        unit = self.unit if self.unit_id else None  # (no query for a user without a unit)
        return unit.region if unit is not None else None


class Leader(Label, models.Model):
    """A city (or county) leader who packages projects (包抓/包保/包联)."""

    name = models.CharField(_("姓名"), max_length=32)
    title = models.CharField(_("职务"), max_length=64, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="leaders")
    user = models.OneToOneField(
        User, verbose_name=_("登录账号"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leader"
    )
    order = models.PositiveSmallIntegerField(_("排序"), default=100)

    history = audited()

    scope_paths = {"region": "region"}

    class Meta:
        verbose_name = _("包抓领导")
        verbose_name_plural = _("包抓领导")
        ordering = ["region__code", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="leader_unique_name_in_region")]

    def __str__(self) -> str:
        return f"{self.name}（{self.title}）" if self.title else self.name


class ApiToken(models.Model):
    """A key a machine (the provincial platform, a statistics bureau, a mobile app) uses to
    call the API as ``user``, with exactly that user's scope. Only a hash of the key is kept;
    the key itself is shown once, when it is created."""

    user = models.ForeignKey(User, verbose_name=_("用户"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=64)
    prefix = models.CharField(_("密钥前缀"), max_length=12)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    # As NetBox's tokens: an optional end, a read-only flag, and the addresses it may be used from.
    expires_at = models.DateTimeField(_("有效期至"), null=True, blank=True)
    read_only = models.BooleanField(_("只读"), default=False)
    allowed_ips = models.TextField(_("允许的地址"), blank=True,
                                   help_text=_("IP 地址或网段（CIDR），以逗号或换行分隔；留空为不限"))

    history = audited(excluded_fields=["digest", "last_used_at"])
    skip_history_when_saving: bool  # set before a save that simple-history should not record

    scope_paths = {"region": "user__unit__region", "unit": "user__unit"}

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def touched(self) -> Touched:
        return set()  # no figure (see User.touched)

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The allowed networks (an address alone is a network of one); raises ValueError on a bad entry."""
        return [ipaddress.ip_network(entry, strict=False) for entry in re.split(r"[\s,，;；]+", self.allowed_ips) if entry]

    def allows(self, address: str | None) -> bool:
        networks = self.networks()
        if not networks:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in network for network in networks)

    def clean(self) -> None:
        try:
            self.networks()
        except ValueError as exc:
            raise ValidationError({"allowed_ips": _("允许的地址格式不正确：%(error)s（应为 IP 地址或网段，如 10.1.0.0/16）")
                                   % {"error": exc}}) from None
