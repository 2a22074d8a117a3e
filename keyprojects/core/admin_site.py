"""Django admin for superusers only: everyone else works through the product's pages,
where the permission chokepoint and the services apply."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _


class SuperuserAdminSite(admin.AdminSite):
    site_header = _("重点项目管理平台 · 系统管理")
    site_title = _("系统管理")

    def has_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser


class SuperuserAdminConfig(AdminConfig):
    default_site = "keyprojects.core.admin_site.SuperuserAdminSite"
