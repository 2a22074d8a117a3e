"""{% load nav %}{% nav_menu as groups %}: the header's groups of links (``core.nav``)."""

from __future__ import annotations

from typing import Any

from django import template

from keyprojects.core import nav

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_menu(context: template.Context) -> list[dict[str, Any]]:
    request = context["request"]
    return nav.menu(request.user, request.path)
