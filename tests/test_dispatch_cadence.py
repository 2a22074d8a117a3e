"""The cadence (Dingxi's "3246"): a rule's due dates, the windows that match meetings to them,
their states on a day, the year's tally, and the daily job that reminds the secretariat before
each meeting and flags the missed ones, once.

Dates are July–September 2022, away from public holidays but in the test of the National Day
holiday (``core.workdays`` knows them, and the weekend days worked in their place)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from keyprojects.core.schedule import SCHEDULE
from keyprojects.dispatch import cadence, services, tasks
from keyprojects.dispatch.cadence import State
from keyprojects.dispatch.models import CadenceRule, Meeting
from keyprojects.notices.models import Message

WEEKS, DAYS = CadenceRule.Interval.WEEKS, CadenceRule.Interval.DAYS
MONDAY = 1


def rule_of(every: int = 2, interval: str = WEEKS, starts_on: date = date(2022, 7, 4), weekday: int | None = MONDAY,
            active: bool = True, reminder_days: int = 2) -> CadenceRule:
    return CadenceRule(name="常务副市长调度会", every=every, interval=interval, weekday=weekday, starts_on=starts_on,
                       active=active, reminder_days=reminder_days)


def dues(rule: CadenceRule, start: date, end: date) -> list[date]:
    return [item.due for item in cadence.occurrences(rule, start, end)]


def test_a_weekly_rule_is_due_every_n_weeks_from_its_first_date():
    rule = rule_of()
    assert dues(rule, date(2022, 7, 1), date(2022, 8, 31)) == [
        date(2022, 7, 4), date(2022, 7, 18), date(2022, 8, 1), date(2022, 8, 15), date(2022, 8, 29)]
    assert dues(rule, date(2022, 7, 5), date(2022, 7, 18)) == [date(2022, 7, 18)]  # both ends inclusive


def test_a_rule_in_days_is_due_every_n_days_and_a_weekend_is_put_off_to_monday():
    rule = rule_of(every=10, interval=DAYS, starts_on=date(2022, 7, 1), weekday=None)
    items = cadence.occurrences(rule, date(2022, 7, 1), date(2022, 7, 31))
    assert [i.due for i in items] == [date(2022, 7, 1), date(2022, 7, 11), date(2022, 7, 21), date(2022, 7, 31)]
    last = items[-1]  # a Sunday
    assert (last.scheduled, last.opens, last.closes) == (date(2022, 8, 1), date(2022, 7, 26), date(2022, 8, 5))


def test_the_due_date_is_the_rules_weekday_of_the_period():
    rule = rule_of(weekday=3)  # a Wednesday rule whose first date (a Monday) was written around the check
    assert dues(rule, date(2022, 7, 1), date(2022, 7, 31)) == [date(2022, 7, 6), date(2022, 7, 20)]


def test_a_rule_starting_in_the_future_is_due_from_its_first_date_only():
    rule = rule_of(every=4, starts_on=date(2022, 9, 5))
    assert dues(rule, date(2022, 7, 1), date(2022, 8, 31)) == []
    assert dues(rule, date(2022, 7, 1), date(2022, 10, 31)) == [date(2022, 9, 5), date(2022, 10, 3), date(2022, 10, 31)]


def test_an_inactive_rule_is_never_due():
    assert dues(rule_of(active=False), date(2022, 7, 1), date(2022, 12, 31)) == []


def test_the_windows_tile_the_calendar_half_a_period_each_side():
    rule = rule_of(every=6)
    first, second = cadence.occurrences(rule, date(2022, 7, 1), date(2022, 8, 31))
    assert (first.opens, first.closes) == (date(2022, 6, 13), date(2022, 7, 25))
    assert second.opens == first.closes  # no day counts for two occurrences, none for neither
    assert cadence.index_of(rule, date(2022, 7, 24)) == 0 and cadence.index_of(rule, date(2022, 7, 25)) == 1
    assert cadence.index_of(rule, date(2022, 6, 12)) == -1  # before the first window: for none


def meeting(day: date, pk: int) -> Meeting:
    return Meeting(pk=pk, date=day, title="调度会", kind="concentrated")


def states(rule: CadenceRule, meetings: list[Meeting], today: date) -> list[tuple[date, str, int | None]]:
    items = cadence.matched(cadence.occurrences(rule, date(2022, 7, 1), date(2022, 8, 31)), meetings, today)
    return [(i.due, i.state, i.meeting.pk if i.meeting else None) for i in items]


def test_meetings_are_matched_to_the_nearest_due_date_and_the_rest_are_missed_late_due_or_upcoming():
    rule = rule_of()
    held = [meeting(date(2022, 7, 1), 1),  # 3 days early: the 4 July one
            meeting(date(2022, 7, 6), 2),  # a second in the same window: extra, not the next one's
            meeting(date(2022, 7, 20), 3)]  # 2 days late: the 18 July one
    assert states(rule, held, date(2022, 8, 10)) == [
        (date(2022, 7, 4), State.HELD, 1), (date(2022, 7, 18), State.HELD, 3),
        (date(2022, 8, 1), State.MISSED, None),  # its window [25 July, 8 August) ended empty
        (date(2022, 8, 15), State.UPCOMING, None), (date(2022, 8, 29), State.UPCOMING, None)]
    assert states(rule, held, date(2022, 8, 3))[2] == (date(2022, 8, 1), State.LATE, None)  # still in its window
    assert states(rule, held, date(2022, 8, 7))[2][1] == State.LATE  # its last day
    assert states(rule, held, date(2022, 8, 8))[2][1] == State.MISSED
    assert states(rule, held, date(2022, 8, 1))[2][1] == State.DUE_TODAY


def test_a_meeting_held_early_marks_its_occurrence_held_and_one_recorded_ahead_is_shown_but_not_held():
    rule = rule_of()
    early = [meeting(date(2022, 8, 12), 4)]  # for 15 August
    assert states(rule, early, date(2022, 8, 12))[3] == (date(2022, 8, 15), State.HELD, 4)
    assert states(rule, early, date(2022, 8, 11))[3] == (date(2022, 8, 15), State.UPCOMING, 4)


def test_the_tally_counts_what_was_due_by_the_day_held_and_missed():
    rule = rule_of()
    items = cadence.matched(cadence.occurrences(rule, date(2022, 1, 1), date(2022, 12, 31)),
                            [meeting(date(2022, 7, 4), 1)], date(2022, 8, 3))
    assert cadence.tally(items) == cadence.Tally(due=3, held=1, missed=1)  # 4 Jul held, 18 Jul missed, 1 Aug late


def test_the_reminder_comes_reminder_days_before_brought_forward_to_a_working_day():
    rule = rule_of(reminder_days=2)
    first = cadence.occurrences(rule, date(2022, 7, 18), date(2022, 7, 18))[0]
    assert first.remind_on == date(2022, 7, 15)  # Saturday 16 July: the Friday before


# --- the daily job ------------------------------------------------------------------------------

@pytest.fixture
def city_rule(cast) -> CadenceRule:
    return services.save_cadence_rule(cast.admin, None, {
        "name": "常务副市长调度会", "region": cast.city, "chair": cast.leader, "kind": "concentrated", "every": 2,
        "interval": WEEKS, "weekday": MONDAY, "starts_on": date(2022, 7, 18), "reminder_days": 2, "active": True})


def messages(key: str) -> list[str]:
    return sorted(Message.objects.filter(event=key).values_list("recipient__username", flat=True))


@pytest.mark.django_db
def test_the_secretariat_is_reminded_once_before_each_meeting(cast, city_rule):
    key = f"cadence:{city_rule.pk}:2022-07-18:remind"
    services.chase_cadence(date(2022, 7, 14))
    assert messages(key) == []
    assert services.chase_cadence(date(2022, 7, 15)) == {"reminded": 1, "missed": 0}
    assert messages(key) == ["admin"]  # the city admin (发改委), not the viewer of the same unit
    message = Message.objects.get(event=key)
    assert message.subject == "【调度提醒】7月18日 常务副市长调度会（每2周）"
    assert message.url == f"/dispatch/meetings/new/?rule={city_rule.pk}&date=2022-07-18"
    services.chase_cadence(date(2022, 7, 15))
    services.chase_cadence(date(2022, 7, 16))
    assert Message.objects.filter(event=key).count() == 1


@pytest.mark.django_db
def test_a_meeting_held_stops_the_reminders_and_the_flag(cast, city_rule):
    services.save_meeting(cast.admin, None, None, {
        "kind": "concentrated", "title": "调度会", "region": cast.city, "date": date(2022, 7, 14),
        "chair": cast.leader, "cadence_rule": city_rule})
    assert services.chase_cadence(date(2022, 7, 15)) == {"reminded": 0, "missed": 0}
    assert services.chase_cadence(date(2022, 7, 25)) == {"reminded": 0, "missed": 0}
    assert not Message.objects.filter(event__startswith=f"cadence:{city_rule.pk}:2022-07-18").exists()


@pytest.mark.django_db
def test_a_missed_meeting_is_flagged_once_the_day_its_window_ends_to_the_secretariat_and_the_chairs_unit(
        cast, city_rule):
    key = f"cadence:{city_rule.pk}:2022-07-18:missed"
    services.chase_cadence(date(2022, 7, 24))  # the window's last day
    assert messages(key) == []
    assert services.chase_cadence(date(2022, 7, 25)) == {"reminded": 0, "missed": 1}
    assert messages(key) == ["admin", "leader"]  # the chair's unit: 市人民政府
    assert Message.objects.get(event=key, recipient=cast.admin).subject == "【未按期调度】7月18日 常务副市长调度会（每2周） 未召开"
    services.chase_cadence(date(2022, 7, 25))
    services.chase_cadence(date(2022, 7, 26))
    assert Message.objects.filter(event=key).count() == 2


@pytest.mark.django_db
def test_missed_meetings_long_past_are_not_flagged_when_the_job_first_runs(cast, city_rule):
    services.chase_cadence(date(2022, 9, 20))
    assert not Message.objects.filter(event=f"cadence:{city_rule.pk}:2022-07-18:missed").exists()
    assert Message.objects.filter(event=f"cadence:{city_rule.pk}:2022-09-12:missed").exists()  # closed 19 Sept


@pytest.mark.django_db
def test_an_inactive_rule_tells_nobody(cast, city_rule):
    services.save_cadence_rule(cast.admin, city_rule.pk, {"active": False})
    assert services.chase_cadence(date(2022, 7, 25)) == {"reminded": 0, "missed": 0}


@pytest.mark.django_db
def test_a_county_rule_reminds_the_countys_clerks(cast):
    with pytest.raises(PermissionDenied):  # a county clerk sets no rules: city admins do
        services.save_cadence_rule(cast.lianshan_clerk, None, {"region": cast.lianshan})
    rule = services.save_cadence_rule(cast.admin, None, {
        "name": "连山区项目调度", "region": cast.lianshan, "chair": cast.leader, "kind": "on_site", "every": 7,
        "interval": DAYS, "starts_on": date(2022, 7, 4), "reminder_days": 1})
    services.chase_cadence(date(2022, 7, 10))
    assert messages(f"cadence:{rule.pk}:2022-07-11:remind") == ["lianshan"]


@pytest.mark.django_db
def test_the_job_runs_as_the_system_and_the_schedule_runs_it_every_morning(cast, city_rule):
    assert tasks.chase_cadence.enqueue("2022-07-15").return_value == {"reminded": 1, "missed": 0}
    job = next(job for job in SCHEDULE if job.name == "cadence_reminders")
    assert job.cron == "0 7 * * *" and job.task is tasks.chase_cadence


def test_a_meeting_due_in_the_national_day_holiday_is_held_on_the_weekend_day_worked_in_its_place():
    rule = rule_of(starts_on=date(2022, 9, 19))
    item = cadence.occurrences(rule, date(2022, 10, 3), date(2022, 10, 3))[0]  # Monday of the 1–7 October holiday
    assert item.scheduled == date(2022, 10, 8)  # Saturday, a working day (调休)
    assert item.remind_on == date(2022, 9, 30)  # two days before is the holiday: the last working day before it
