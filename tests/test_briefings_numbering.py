"""Numbering under two publishers at once (committed transactions, real connections)."""

from __future__ import annotations

import contextlib
import threading
from datetime import date

import pytest
from django.db import connection

from keyprojects.briefings import services
from keyprojects.briefings.models import Briefing


# SQLite's in-memory test database locks whole tables and ignores the busy timeout: the second
# connection fails at once instead of waiting. Run on PostgreSQL (DATABASE_URL=postgres://…).
@pytest.mark.skipif(connection.vendor == "sqlite", reason="needs a database whose writers wait (PostgreSQL)")
def test_publishing_twice_at_once_gives_two_numbers(committed_db, cast, tmp_path, settings, monkeypatch):
    """Two publishers at the same moment, each on its own connection: the second waits for the
    region's lock and takes the next number. Each publisher, once numbered, waits (a while) for
    the other to be numbered too: without the lock both would take 第1期."""
    settings.MEDIA_ROOT = tmp_path
    numbered = threading.Barrier(2, timeout=2)
    render = services.render.both

    def slow_render(*args):
        with contextlib.suppress(threading.BrokenBarrierError):  # the other waits for the lock, as it should
            numbered.wait()
        return render(*args)

    monkeypatch.setattr(services.render, "both", slow_render)
    drafts = []
    for day in (date(2022, 5, 31), date(2022, 6, 30)):
        draft = services.generate(cast.admin, cast.city, 2022, day)
        drafts.append(services.approve(cast.admin, draft.pk, draft.version))
    errors: list[Exception] = []

    def publish(draft: Briefing) -> None:
        try:
            services.publish(cast.admin, draft.pk, draft.version)
        except Exception as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(Briefing.objects.values_list("number", flat=True)) == [1, 2]
