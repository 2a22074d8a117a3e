"""The top navigation: a few groups of links, defined here once.

Adding a page to the menu is one ``Link`` line in the right group. A link whose URL name does not
resolve (an app not installed) is left out, so the header never fails because of another app.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ADMINS = ("superuser", "city_admin")  # a "role" of "superuser" means request.user.is_superuser


@dataclass(frozen=True)
class Link:
    url: str  # URL name
    label: str | Promise
    roles: tuple[str, ...] | None = None  # None: everyone signed in
    query: str = ""  # e.g. "state=late": a filtered view of a list (never marked as the current page)
    exact: bool = False  # current only on its own address, not on the pages under it


@dataclass(frozen=True)
class Group:
    label: str | Promise | None  # None: the links stand in the bar on their own
    links: tuple[Link, ...]


NAV: tuple[Group, ...] = (
    Group(None, (
        Link("dashboard", _("驾驶舱"), exact=True),
        Link("reporting:periods", _("月报")),
    )),
    Group(_("项目"), (
        Link("projects:list", _("项目库")),
        Link("maps:map", _("一张图")),
        Link("approvals:list", _("前期手续台账")),
        Link("approvals:list", _("逾期事项"), query="state=late"),
        Link("approvals:catalogue", _("前期手续目录")),
        Link("tasklists:list", _("任务清单")),
        Link("attraction:list", _("招商引资")),
        Link("funding:rounds", _("资金申报")),
    )),
    Group(_("调度"), (
        Link("dispatch:meetings", _("调度会")),
        Link("dispatch:calendar", _("调度日历")),
        Link("dispatch:problems", _("问题台账")),
        Link("dispatch:todo", _("我的待办")),
        Link("attraction:packages", _("包抓责任组")),
        Link("alerts:list", _("预警")),
    )),
    Group(_("分析"), (
        Link("assessment:schemes", _("考核排名")),
        Link("briefings:list", _("简报"), roles=(*ADMINS, "county_clerk", "leader", "viewer")),
        Link("leaders:me", _("我的包抓"), roles=("leader",)),
        Link("leaders:ranking", _("领导包抓"), roles=(*ADMINS, "county_clerk", "viewer")),
        Link("indicator_definitions", _("指标口径"), exact=True),
    )),
    Group(_("管理"), (
        Link("accounts:people_default", _("单位与人员"), roles=ADMINS),
        Link("exchange:page", _("省平台对接"), roles=ADMINS),
        Link("opendata:publications", _("公开数据"), roles=ADMINS),
        Link("audit_log", _("审计日志"), roles=ADMINS),
    )),
)


def _allowed(link: Link, user: Any) -> bool:
    if link.roles is None:
        return True
    return (user.is_superuser and "superuser" in link.roles) or getattr(user, "role", None) in link.roles


def menu(user: Any, path: str) -> list[dict[str, Any]]:
    """The groups ``user`` sees (a group with no link for them is left out), each link with its
    address; the link whose address is the longest start of ``path`` is the current page."""
    groups: list[dict[str, Any]] = []
    for group in NAV:
        links = []
        for link in group.links:
            if not _allowed(link, user):
                continue
            try:
                url = reverse(link.url)
            except NoReverseMatch:
                continue
            matches = not link.query and (path == url or (not link.exact and path.startswith(url)))
            links.append({"label": link.label, "url": f"{url}?{link.query}" if link.query else url,
                          "length": len(url) if matches else -1, "current": False})
        if links:
            groups.append({"label": group.label, "links": links, "current": False})
    best = max((link["length"] for g in groups for link in g["links"]), default=-1)
    for g in groups:
        for link in g["links"]:
            link["current"] = best >= 0 and link["length"] == best
        g["current"] = any(link["current"] for link in g["links"])
    return groups
