"""Open data (公开数据): the projects a city has chosen to publish (``Publication``). Only these
appear in the OC4IDS package (``oc4ids.py``); a project without a publication is never published.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from keyprojects.accounts.models import User
from keyprojects.core.audit import audited
from keyprojects.projects.models import Project

if TYPE_CHECKING:
    from keyprojects.core.permissions import Viewer


class PublicationQuerySet(models.QuerySet["Publication"]):
    def visible_to(self, user: Viewer) -> PublicationQuerySet:
        from keyprojects.core.permissions import restrict

        return restrict(self, user, "view")


class Publication(models.Model):
    """A project the city publishes as open data, since ``published_on``; withdrawing it deletes
    the row (its history keeps who published and withdrew it)."""

    project = models.OneToOneField(Project, verbose_name=_("项目"), on_delete=models.CASCADE,
                                   related_name="publication")
    published_on = models.DateField(_("公开日期"))
    published_by = models.ForeignKey(User, verbose_name=_("公开人"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = PublicationQuerySet.as_manager()
    history = audited()

    scope_paths = {"region": "project__region", "responsible_unit": "project__responsible_unit",
                   "owner": "project__owner"}

    class Meta:
        verbose_name = _("公开项目")
        verbose_name_plural = _("公开项目")
        ordering = ["project__region__code", "project__name"]

    def __str__(self) -> str:
        return str(self.project)
