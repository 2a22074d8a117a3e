"""The notifications this app sends, through the interface of ``keyprojects.notices.services``
(in-app messages and the units' channels, each event sent once). A thin stand-in while that app
is built beside this one: it calls it when it is installed and does nothing otherwise."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

from django.apps import apps

from keyprojects.accounts.models import Unit, User


def _notices() -> ModuleType | None:
    if not apps.is_installed("keyprojects.notices"):
        return None
    from keyprojects.notices import services  # type: ignore[import-not-found,import-untyped,unused-ignore]

    return services  # type: ignore[no-any-return,unused-ignore]


def notify(event: str, recipients: Iterable[User], subject: str, body: str = "", url: str = "", *,
           units: Iterable[Unit] = ()) -> list[Any]:
    notices = _notices()
    return [] if notices is None else notices.notify(event, recipients, subject, body, url, units=units)


def notify_unit(event: str, unit: Unit, subject: str, body: str = "", url: str = "") -> list[Any]:
    notices = _notices()
    return [] if notices is None else notices.notify_unit(event, unit, subject, body, url)
