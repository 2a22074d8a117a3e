"""core.clock: the moment load_demo stamps its writes with, in its own block and context only."""

import threading
from datetime import date, datetime, timedelta

from django.utils import timezone

from keyprojects.core import clock


def test_inside_a_block_now_starts_from_its_moment_and_keeps_running():
    when = clock.moment(date(2022, 6, 2), 10)
    with clock.at(when):
        first, second = timezone.now(), timezone.now()
        assert when <= first <= second < when + timedelta(minutes=1)
        assert timezone.localdate() == date(2022, 6, 2)
    assert timezone.now().year >= 2026 and timezone.now is not clock._now


def test_an_inner_block_moves_the_clock_and_the_outer_one_takes_over_again():
    with clock.at(date(2022, 1, 10)):
        with clock.at(date(2022, 4, 3)):
            assert timezone.localdate() == date(2022, 4, 3)
        assert timezone.localdate() == date(2022, 1, 10)


def test_another_thread_reads_the_real_time_meanwhile():
    seen: list[datetime] = []
    with clock.at(date(2022, 1, 10)):
        worker = threading.Thread(target=lambda: seen.append(timezone.now()))
        worker.start()
        worker.join()
    assert seen[0] > timezone.make_aware(datetime(2024, 1, 1))
