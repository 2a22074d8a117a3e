"""The request the project's pages receive, as the type checker should see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from keyprojects.accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """A request to a page behind ``@login_required`` (every page but the login): its user is
    one of ours, never ``AnonymousUser``; ``htmx`` is set by django-htmx's middleware. Only an
    annotation (django-stubs' way of typing authenticated requests): no request is made of it."""

    user: User
    htmx: HtmxDetails
