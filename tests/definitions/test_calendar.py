"""The reporting calendar as pure functions: deadlines, windows, events, what is due, quiet hours.

No database and no clock: every moment is passed in. Expected dates are written out by hand
(with their weekdays checked here) or computed by a plain day-by-day count, never taken from
the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from definitions.calendar import (
    Calendar,
    CalendarError,
    EventKind,
    QuietHours,
    load_calendar,
    parse_calendar,
)
from storage.models import PeriodKind
from storage.periods import PeriodCodeError

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
DEFAULT_HOLIDAYS = {
    date(2026, 1, 1),
    date(2026, 4, 30),
    date(2026, 5, 1),
    date(2026, 9, 2),
    date(2027, 1, 1),
    date(2027, 4, 30),
    date(2027, 5, 1),
    date(2027, 9, 2),
}


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZONE)


def working_days_after(
    start: date, days: int, holidays: frozenset[date] | set[date] = frozenset()
) -> date:
    """A plain count: the `days`-th day after `start` that is Monday-Friday and no holiday."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() not in (SAT, SUN) and day not in holidays:
            counted += 1
    return day


def kinds_and_periods(events) -> set[tuple[EventKind, str]]:
    return {(event.kind, event.period) for event in events}


def reminders_due(calendar: Calendar, now: datetime) -> set[tuple[str, int]]:
    return {
        (event.period, event.days_before)
        for event in calendar.due(now, ZONE)
        if event.kind is EventKind.REMIND
    }


# ----- deadlines ------------------------------------------------------------------------------


def test_q4_2026_monday_closing_has_a_wednesday_deadline() -> None:
    """Q4 2026 closes on Monday 14/12/2026; two working days later is Wednesday 16/12."""
    closes = date(2026, 12, 14)
    assert closes.weekday() == MON
    deadline = Calendar().deadline(closes)
    assert deadline == date(2026, 12, 16)
    assert deadline.weekday() == WED
    assert deadline == working_days_after(closes, 2)


def test_friday_closing_skips_the_weekend() -> None:
    """A Friday closing has its deadline on the Tuesday after, not on the weekend."""
    closes = date(2026, 12, 11)
    assert closes.weekday() == FRI
    deadline = Calendar().deadline(closes)
    assert deadline == date(2026, 12, 15)
    assert deadline.weekday() == TUE


def test_holiday_on_the_monday_moves_the_deadline_to_wednesday() -> None:
    """A configured holiday on the Monday after a Friday closing is not a working day."""
    closes, monday = date(2026, 12, 11), date(2026, 12, 14)
    assert monday.weekday() == MON
    deadline = Calendar(holidays=frozenset({monday})).deadline(closes)
    assert deadline == date(2026, 12, 16)
    assert deadline.weekday() == WED
    assert deadline == working_days_after(closes, 2, {monday})


def test_holiday_on_a_weekend_changes_nothing() -> None:
    """A holiday falling on a weekend does not push the deadline further."""
    closes, saturday = date(2026, 12, 11), date(2026, 12, 12)
    assert saturday.weekday() == SAT
    assert Calendar(holidays=frozenset({saturday})).deadline(closes) == date(2026, 12, 15)


def test_q1_2027_sunday_closing_has_a_tuesday_deadline() -> None:
    """Q1 2027 closes on Sunday 14/03/2027; the deadline is Tuesday 16/03/2027."""
    calendar = Calendar()
    spec = calendar.period("2027-Q1")
    assert spec.closes_on == date(2027, 3, 14)
    assert spec.closes_on.weekday() == SUN
    assert spec.deadline_on == date(2027, 3, 16)
    assert spec.deadline_on.weekday() == TUE


def test_saturday_closing_counts_from_monday() -> None:
    """Q1 2026 closes on Saturday 14/03/2026; Monday and Tuesday are the two working days."""
    spec = Calendar().period("2026-Q1")
    assert spec.closes_on.weekday() == SAT
    assert spec.deadline_on == date(2026, 3, 17)
    assert spec.deadline_on.weekday() == TUE


def test_one_working_day_deadline() -> None:
    """deadline_working_days=1 gives the next working day."""
    assert Calendar(deadline_working_days=1).deadline(date(2026, 12, 14)) == date(2026, 12, 15)
    assert Calendar(deadline_working_days=1).deadline(date(2026, 12, 11)) == date(2026, 12, 14)


def test_deadline_across_new_year_skips_the_new_year_holiday() -> None:
    """Y 2026 closes 14/12/2026; 14 working days reach 01/01/2027, a holiday, so 04/01/2027."""
    closes = date(2026, 12, 14)
    new_year = date(2027, 1, 1)
    assert new_year.weekday() == FRI
    plain = Calendar(deadline_working_days=14)
    assert plain.period("2026-Y").closes_on == closes
    assert plain.period("2026-Y").deadline_on == new_year == working_days_after(closes, 14)
    with_holiday = Calendar(deadline_working_days=14, holidays=frozenset({new_year}))
    expected = date(2027, 1, 4)
    assert expected.weekday() == MON
    assert with_holiday.period("2026-Y").deadline_on == expected
    assert with_holiday.period("2026-Q4").deadline_on == expected
    assert expected == working_days_after(closes, 14, {new_year})


def test_deadline_across_new_year_with_the_packaged_holidays() -> None:
    """Holidays parsed from YAML, and the packaged list's 01/01/2027, push a year-end deadline."""
    calendar = parse_calendar(
        "deadline_working_days: 12\nholidays: [2026-12-24, 2027-01-01]\n",
        name="c.yaml",
    )
    closes = date(2026, 12, 14)
    expected = working_days_after(closes, 12, {date(2026, 12, 24), date(2027, 1, 1)})
    assert expected == date(2026, 12, 31)
    assert calendar.deadline(closes) == expected
    packaged = load_calendar().model_copy(update={"deadline_working_days": 14})
    assert packaged.deadline(closes) == date(2027, 1, 4)


@given(
    closes=st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31)),
    days=st.integers(min_value=1, max_value=30),
    holidays=st.frozensets(
        st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 3, 31)), max_size=20
    ),
)
def test_deadline_is_the_nth_working_day(closes: date, days: int, holidays: frozenset) -> None:
    """For any closing day and holidays, the deadline is exactly the n-th working day after."""
    deadline = Calendar(deadline_working_days=days, holidays=holidays).deadline(closes)
    assert deadline == working_days_after(closes, days, set(holidays))
    assert deadline.weekday() < SAT
    assert deadline not in holidays


# ----- periods --------------------------------------------------------------------------------

WINDOWS = [
    # code, kind, number, starts_on, closes_on
    ("2026-Q1", PeriodKind.QUARTER, 1, date(2025, 12, 15), date(2026, 3, 14)),
    ("2026-Q2", PeriodKind.QUARTER, 2, date(2026, 3, 15), date(2026, 6, 14)),
    ("2026-Q3", PeriodKind.QUARTER, 3, date(2026, 6, 15), date(2026, 9, 14)),
    ("2026-Q4", PeriodKind.QUARTER, 4, date(2026, 9, 15), date(2026, 12, 14)),
    ("2026-H1", PeriodKind.HALF_YEAR, 1, date(2025, 12, 15), date(2026, 6, 14)),
    ("2026-Y", PeriodKind.YEAR, 1, date(2025, 12, 15), date(2026, 12, 14)),
    ("2027-Q1", PeriodKind.QUARTER, 1, date(2026, 12, 15), date(2027, 3, 14)),
    ("2027-Q2", PeriodKind.QUARTER, 2, date(2027, 3, 15), date(2027, 6, 14)),
    ("2027-Q3", PeriodKind.QUARTER, 3, date(2027, 6, 15), date(2027, 9, 14)),
    ("2027-Q4", PeriodKind.QUARTER, 4, date(2027, 9, 15), date(2027, 12, 14)),
    ("2027-H1", PeriodKind.HALF_YEAR, 1, date(2026, 12, 15), date(2027, 6, 14)),
    ("2027-Y", PeriodKind.YEAR, 1, date(2026, 12, 15), date(2027, 12, 14)),
]


@pytest.mark.parametrize(("code", "kind", "number", "starts_on", "closes_on"), WINDOWS)
def test_period_windows_follow_decree_09(
    code: str, kind: PeriodKind, number: int, starts_on: date, closes_on: date
) -> None:
    """Each period's window starts the day after the previous closing and closes on the 14th."""
    calendar = Calendar(holidays=frozenset(DEFAULT_HOLIDAYS))
    spec = calendar.period(code)
    assert (spec.code, spec.kind, spec.number, spec.year) == (code, kind, number, int(code[:4]))
    assert (spec.starts_on, spec.closes_on) == (starts_on, closes_on)
    assert spec.deadline_on == working_days_after(closes_on, 2, DEFAULT_HOLIDAYS)


def test_quarters_tile_the_year_without_gaps() -> None:
    """Consecutive quarters of 2026-2027 meet: each starts the day after the previous closes."""
    calendar = Calendar()
    codes = [f"{year}-Q{n}" for year in (2026, 2027) for n in range(1, 5)]
    for earlier, later in pairwise(codes):
        assert calendar.period(later).starts_on == calendar.period(earlier).closes_on + timedelta(1)


def test_period_uses_the_calendar_holidays() -> None:
    """period() carries the calendar's deadline, so a holiday after closing moves it."""
    holiday = date(2026, 12, 15)
    assert Calendar().period("2026-Q4").deadline_on == date(2026, 12, 16)
    assert Calendar(holidays=frozenset({holiday})).period("2026-Q4").deadline_on == date(
        2026, 12, 17
    )


def test_period_code_is_normalised_and_checked() -> None:
    """A lower-case code is read; a code that is not a period is refused."""
    assert Calendar().period(" 2026-q4 ").code == "2026-Q4"
    with pytest.raises(PeriodCodeError):
        Calendar().period("2026-Q5")


# ----- events ---------------------------------------------------------------------------------


def test_events_of_q4_2026_with_the_defaults() -> None:
    """Opening a week before, reminders at -3/-1/0 days, escalation at 16:00, late after."""
    events = Calendar().events("2026-Q4", ZONE)
    assert [(e.kind, e.at, e.days_before, e.slot) for e in events] == [
        (EventKind.OPEN, local(2026, 12, 7, 8), 0, "open"),
        (EventKind.REMIND, local(2026, 12, 11, 8), 3, "remind3"),
        (EventKind.REMIND, local(2026, 12, 13, 8), 1, "remind1"),
        (EventKind.REMIND, local(2026, 12, 14, 8), 0, "remind0"),
        (EventKind.ESCALATE_CHAIRMAN, local(2026, 12, 14, 16), 0, "escalate"),
        (EventKind.LATE_TO_OFFICE, local(2026, 12, 17, 8), 0, "late"),
    ]
    assert {e.period for e in events} == {"2026-Q4"}
    assert all(e.at.utcoffset() == timedelta(hours=7) for e in events)
    # 08:00 in Hanoi is 01:00 UTC.
    assert events[0].at.astimezone(UTC) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_events_are_in_time_order() -> None:
    """Events come sorted by time even when escalation precedes the closing-day reminder."""
    calendar = Calendar(escalate_at=time(7, 0), send_at=time(9, 0))
    events = calendar.events("2026-Q4", ZONE)
    moments = [e.at for e in events]
    assert moments == sorted(moments)
    assert [e.kind for e in events][-3:] == [
        EventKind.ESCALATE_CHAIRMAN,
        EventKind.REMIND,
        EventKind.LATE_TO_OFFICE,
    ]


def test_custom_offsets_and_times_change_the_events() -> None:
    """open_days_before, reminder days, send_at and escalate_at move the events."""
    calendar = Calendar(
        open_days_before=10,
        reminder_days_before=(5, 2),
        send_at=time(9, 30),
        escalate_at=time(15, 0),
    )
    events = calendar.events("2026-Q4", ZONE)
    assert [(e.kind, e.at, e.days_before) for e in events] == [
        (EventKind.OPEN, local(2026, 12, 4, 9, 30), 0),
        (EventKind.REMIND, local(2026, 12, 9, 9, 30), 5),
        (EventKind.REMIND, local(2026, 12, 12, 9, 30), 2),
        (EventKind.ESCALATE_CHAIRMAN, local(2026, 12, 14, 15), 0),
        (EventKind.LATE_TO_OFFICE, local(2026, 12, 17, 9, 30), 0),
    ]


def test_reminder_before_the_opening_is_dropped() -> None:
    """A reminder set earlier than the opening (5 days before, opening 2 days before) is dropped."""
    calendar = Calendar(open_days_before=2, reminder_days_before=(5, 1))
    events = calendar.events("2026-Q4", ZONE)
    reminders = [e for e in events if e.kind is EventKind.REMIND]
    assert [(e.days_before, e.at) for e in reminders] == [(1, local(2026, 12, 13, 8))]
    assert events[0].kind is EventKind.OPEN
    assert events[0].at == local(2026, 12, 12, 8)


def test_reminder_days_are_deduplicated_and_ordered() -> None:
    """Reminder days given in any order, with repeats, become a descending list."""
    assert Calendar(reminder_days_before=(0, 3, 1, 3)).reminder_days_before == (3, 1, 0)


def test_late_event_follows_the_holiday_shifted_deadline() -> None:
    """With a holiday the day after closing, the office hears a day later."""
    calendar = Calendar(holidays=frozenset({date(2026, 12, 15)}))
    late = calendar.events("2026-Q4", ZONE)[-1]
    assert late.kind is EventKind.LATE_TO_OFFICE
    assert late.at == local(2026, 12, 18, 8)


# ----- what is due ----------------------------------------------------------------------------


def test_nothing_due_in_late_november() -> None:
    """On 22/11/2026 no period has anything due."""
    for hour in (0, 8, 12, 16, 23):
        assert Calendar().due(local(2026, 11, 22, hour), ZONE) == []


def test_opening_of_q4_and_year_due_from_seven_days_before() -> None:
    """At 07/12/2026 08:00 the openings of 2026-Q4 and 2026-Y are due, not of 2026-H1."""
    calendar = Calendar()
    assert calendar.due(local(2026, 12, 7, 7, 59), ZONE) == []
    due = calendar.due(local(2026, 12, 7, 8), ZONE)
    assert kinds_and_periods(due) == {(EventKind.OPEN, "2026-Q4"), (EventKind.OPEN, "2026-Y")}


def test_opening_stays_due_until_the_closing_day_ends() -> None:
    """The opening is due through 14/12 23:59 and gone at 15/12 00:00."""
    calendar = Calendar()
    for moment in (local(2026, 12, 10, 3), local(2026, 12, 14, 23, 59)):
        opens = {e.period for e in calendar.due(moment, ZONE) if e.kind is EventKind.OPEN}
        assert opens == {"2026-Q4", "2026-Y"}
    later = calendar.due(local(2026, 12, 15, 0), ZONE)
    assert not [e for e in later if e.kind is EventKind.OPEN]


def test_due_accepts_utc_and_converts_to_local() -> None:
    """01:00 UTC on 07/12 is 08:00 in Hanoi: the opening is due; 00:59 UTC is too early."""
    calendar = Calendar()
    assert calendar.due(datetime(2026, 12, 7, 0, 59, tzinfo=UTC), ZONE) == []
    due = calendar.due(datetime(2026, 12, 7, 1, 0, tzinfo=UTC), ZONE)
    assert (EventKind.OPEN, "2026-Q4") in kinds_and_periods(due)


def test_after_downtime_only_the_latest_reminder_is_due() -> None:
    """Back at 13/12 09:00 after a week down: the -1 day reminder is due, the -3 one is not."""
    calendar = Calendar()
    now = local(2026, 12, 13, 9)
    assert reminders_due(calendar, now) == {("2026-Q4", 1), ("2026-Y", 1)}
    assert {(EventKind.OPEN, "2026-Q4"), (EventKind.OPEN, "2026-Y")} <= kinds_and_periods(
        calendar.due(now, ZONE)
    )


def test_each_reminder_gives_way_to_the_next() -> None:
    """-3 is due until the -1 reminder comes; -1 until the 0-day one; 0 until the day ends."""
    calendar = Calendar(period_kinds=("quarter",))
    assert reminders_due(calendar, local(2026, 12, 11, 7, 59)) == set()
    assert reminders_due(calendar, local(2026, 12, 11, 8)) == {("2026-Q4", 3)}
    assert reminders_due(calendar, local(2026, 12, 13, 7, 59)) == {("2026-Q4", 3)}
    assert reminders_due(calendar, local(2026, 12, 13, 8)) == {("2026-Q4", 1)}
    assert reminders_due(calendar, local(2026, 12, 14, 8, 30)) == {("2026-Q4", 0)}
    assert reminders_due(calendar, local(2026, 12, 14, 23, 59)) == {("2026-Q4", 0)}
    assert reminders_due(calendar, local(2026, 12, 15, 0)) == set()


def test_escalation_due_on_the_closing_day_for_a_week() -> None:
    """The escalation is due from 14/12 16:00 until 21/12 16:00."""
    calendar = Calendar(period_kinds=("quarter",))

    def escalations(now: datetime) -> set[str]:
        return {e.period for e in calendar.due(now, ZONE) if e.kind is EventKind.ESCALATE_CHAIRMAN}

    assert escalations(local(2026, 12, 14, 15, 59)) == set()
    assert escalations(local(2026, 12, 14, 16)) == {"2026-Q4"}
    assert escalations(local(2026, 12, 21, 15, 59)) == {"2026-Q4"}
    assert escalations(local(2026, 12, 21, 16)) == set()


def test_late_to_office_due_the_morning_after_the_deadline() -> None:
    """Deadline Wed 16/12: the office hears on Thu 17/12 from 08:00, for a week."""
    calendar = Calendar(period_kinds=("quarter",))

    def late(now: datetime) -> set[str]:
        return {e.period for e in calendar.due(now, ZONE) if e.kind is EventKind.LATE_TO_OFFICE}

    assert late(local(2026, 12, 16, 23, 59)) == set()
    assert late(local(2026, 12, 17, 7, 59)) == set()
    assert late(local(2026, 12, 17, 8)) == {"2026-Q4"}
    assert late(local(2026, 12, 24, 7, 59)) == {"2026-Q4"}
    assert late(local(2026, 12, 24, 8)) == set()


def test_march_2027_brings_q1_2027_events() -> None:
    """In March 2027 the 2027-Q1 events are due (its window began in December 2026)."""
    calendar = Calendar()
    assert calendar.due(local(2027, 3, 7, 7, 59), ZONE) == []
    due = calendar.due(local(2027, 3, 10, 9), ZONE)
    assert kinds_and_periods(due) == {(EventKind.OPEN, "2027-Q1")}
    assert reminders_due(calendar, local(2027, 3, 13, 9)) == {("2027-Q1", 1)}


def test_previous_year_periods_still_due_in_january() -> None:
    """A deadline pushed into January keeps 2026 events due in 2027 (last year is looked at)."""
    calendar = Calendar(deadline_working_days=14, holidays=frozenset({date(2027, 1, 1)}))
    due = calendar.due(local(2027, 1, 5, 9), ZONE)
    assert kinds_and_periods(due) == {
        (EventKind.LATE_TO_OFFICE, "2026-Q4"),
        (EventKind.LATE_TO_OFFICE, "2026-Y"),
    }


def test_quarter_only_calendar_drops_half_year_and_year() -> None:
    """period_kinds [quarter] keeps only quarterly events."""
    calendar = parse_calendar("period_kinds: [quarter]\n", name="c.yaml")
    assert kinds_and_periods(calendar.due(local(2026, 12, 7, 8), ZONE)) == {
        (EventKind.OPEN, "2026-Q4")
    }
    assert calendar.due(local(2026, 6, 8, 9), ZONE) != []
    assert all(e.period.endswith("Q2") for e in calendar.due(local(2026, 6, 8, 9), ZONE))


def test_half_year_opens_in_june() -> None:
    """The default calendar opens 2026-H1 (and 2026-Q2) on 07/06/2026."""
    due = Calendar().due(local(2026, 6, 7, 8), ZONE)
    assert kinds_and_periods(due) == {(EventKind.OPEN, "2026-Q2"), (EventKind.OPEN, "2026-H1")}


def test_no_period_kinds_means_nothing_is_ever_due() -> None:
    """period_kinds [] leaves nothing due at any event time of 2026-2027."""
    calendar = parse_calendar("period_kinds: []\n", name="c.yaml")
    moments = [
        event.at + offset
        for year in (2026, 2027)
        for suffix in ("Q1", "Q2", "Q3", "Q4", "H1", "Y")
        for event in Calendar().events(f"{year}-{suffix}", ZONE)
        for offset in (timedelta(0), timedelta(hours=1))
    ]
    assert moments
    assert all(calendar.due(moment, ZONE) == [] for moment in moments)


def test_every_event_is_due_at_its_own_moment_and_not_before() -> None:
    """For every event of 2026-2027, it is due at its moment and not a minute before."""
    calendar = Calendar(holidays=frozenset(DEFAULT_HOLIDAYS))
    for year in (2026, 2027):
        for suffix in ("Q1", "Q2", "Q3", "Q4", "H1", "Y"):
            for event in calendar.events(f"{year}-{suffix}", ZONE):
                assert event in calendar.due(event.at, ZONE)
                assert event not in calendar.due(event.at - timedelta(minutes=1), ZONE)


@given(
    moment=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
)
def test_at_most_one_reminder_per_period_is_due(moment: datetime) -> None:
    """At any moment, no period has two reminders due, and nothing due lies in the future."""
    now = moment.replace(tzinfo=ZONE)
    due = Calendar().due(now, ZONE)
    reminders = [e.period for e in due if e.kind is EventKind.REMIND]
    assert len(reminders) == len(set(reminders))
    assert all(e.at <= now for e in due)


# ----- quiet hours ----------------------------------------------------------------------------


def test_quiet_late_evening_waits_for_the_next_morning() -> None:
    """22:30 local is quiet until 07:00 the next day."""
    assert Calendar().quiet_until(local(2026, 12, 7, 22, 30), ZONE) == local(2026, 12, 8, 7)
    assert Calendar().quiet_until(local(2026, 12, 7, 21), ZONE) == local(2026, 12, 8, 7)


def test_quiet_early_morning_waits_until_seven_the_same_day() -> None:
    """06:59 and 00:00 local are quiet until 07:00 of the same day."""
    assert Calendar().quiet_until(local(2026, 12, 8, 6, 59), ZONE) == local(2026, 12, 8, 7)
    assert Calendar().quiet_until(local(2026, 12, 8, 0, 0), ZONE) == local(2026, 12, 8, 7)


def test_not_quiet_from_seven_to_before_nine_pm() -> None:
    """07:00, 12:00 and 20:59 local are outside the quiet hours."""
    for hour, minute in ((7, 0), (12, 0), (20, 59)):
        assert Calendar().quiet_until(local(2026, 12, 8, hour, minute), ZONE) is None


def test_no_quiet_hours_configured() -> None:
    """quiet_hours: null, or a zero-length window, never holds messages back."""
    calendar = parse_calendar("quiet_hours: null\n", name="c.yaml")
    assert calendar.quiet_hours is None
    assert calendar.quiet_until(local(2026, 12, 7, 23), ZONE) is None
    same = Calendar(quiet_hours=QuietHours(start=time(21), end=time(21)))
    assert same.quiet_until(local(2026, 12, 7, 23), ZONE) is None


def test_same_day_quiet_window() -> None:
    """A 12:00-13:00 window is quiet from 12:00 until 13:00 the same day only."""
    calendar = Calendar(quiet_hours=QuietHours(start=time(12), end=time(13)))
    assert calendar.quiet_until(local(2026, 12, 8, 11, 59), ZONE) is None
    assert calendar.quiet_until(local(2026, 12, 8, 12), ZONE) == local(2026, 12, 8, 13)
    assert calendar.quiet_until(local(2026, 12, 8, 12, 30), ZONE) == local(2026, 12, 8, 13)
    assert calendar.quiet_until(local(2026, 12, 8, 13), ZONE) is None
    assert calendar.quiet_until(local(2026, 12, 8, 23), ZONE) is None


def test_quiet_hours_read_utc_as_local_time() -> None:
    """15:30 UTC is 22:30 in Hanoi (quiet); 14:00 UTC is 21:00 (quiet); 13:59 UTC is not."""
    calendar = Calendar()
    until = calendar.quiet_until(datetime(2026, 12, 7, 15, 30, tzinfo=UTC), ZONE)
    assert until == local(2026, 12, 8, 7)
    assert until == datetime(2026, 12, 8, 0, 0, tzinfo=UTC)
    assert until is not None and until.utcoffset() == timedelta(hours=7)
    assert calendar.quiet_until(datetime(2026, 12, 7, 14, 0, tzinfo=UTC), ZONE) == local(
        2026, 12, 8, 7
    )
    assert calendar.quiet_until(datetime(2026, 12, 7, 13, 59, tzinfo=UTC), ZONE) is None
    # 23:59 UTC on 7/12 is 06:59 local on 8/12: quiet until 07:00 that day.
    early = calendar.quiet_until(datetime(2026, 12, 7, 23, 59, tzinfo=UTC), ZONE)
    assert early == local(2026, 12, 8, 7)


# ----- loading --------------------------------------------------------------------------------


def test_packaged_default_loads() -> None:
    """The packaged calendar.yaml loads with the documented settings."""
    calendar = load_calendar()
    assert calendar.period_kinds == ("quarter", "half_year", "year")
    assert calendar.open_days_before == 7
    assert calendar.reminder_days_before == (3, 1, 0)
    assert (calendar.send_at, calendar.escalate_at) == (time(8), time(16))
    assert calendar.deadline_working_days == 2
    assert calendar.holidays == DEFAULT_HOLIDAYS
    assert calendar.quiet_hours == QuietHours(start=time(21), end=time(7))


def test_load_calendar_reads_a_file(tmp_path: Path) -> None:
    """load_calendar(path) reads a province's own file."""
    path = tmp_path / "calendar.yaml"
    path.write_text(
        "period_kinds: [year]\nopen_days_before: 10\nsend_at: '07:30'\n", encoding="utf-8"
    )
    calendar = load_calendar(path)
    assert calendar.period_kinds == ("year",)
    assert calendar.open_days_before == 10
    assert calendar.send_at == time(7, 30)


def test_missing_file_is_a_calendar_error(tmp_path: Path) -> None:
    """A calendar file that does not exist raises CalendarError naming the path."""
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(CalendarError, match=r"nowhere\.yaml: cannot read"):
        load_calendar(path)


def test_empty_document_gives_the_defaults() -> None:
    """An empty file is a calendar with every default."""
    assert parse_calendar("", name="c.yaml") == Calendar()
    assert parse_calendar("# nothing\n", name="c.yaml") == Calendar()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("period_kinds: [quarter]\nfoo: 1\n", r"^c\.yaml:2: foo: Extra inputs"),
        ("open_days_before: 7\n\nsend_at: '25:00'\n", r"^c\.yaml:3: send_at: "),
        ("escalate_at: 'noon'\n", r"^c\.yaml:1: escalate_at: "),
        ("send_at: '08:00'\nreminder_days_before: [3, -1]\n", r"^c\.yaml:2: reminder_days_before"),
        ("reminder_days_before:\n  - 61\n", r"^c\.yaml:1: reminder_days_before: .*0 to 60"),
        ("open_days_before: 61\n", r"^c\.yaml:1: open_days_before: "),
        ("deadline_working_days: 0\n", r"^c\.yaml:1: deadline_working_days: "),
        ("period_kinds:\n  - quarter\n  - month\n", r"^c\.yaml:3: period_kinds\.1: "),
        ("holidays: ['2026-02-30']\n", r"^c\.yaml:1: holidays\.0: "),
        ("quiet_hours:\n  start: '21:00'\n  end: 'late'\n", r"^c\.yaml:3: quiet_hours\.end: "),
        ("quiet_hours: {start: '21:00', until: '07:00'}\n", r"^c\.yaml:1: quiet_hours\.until: "),
    ],
)
def test_invalid_settings_name_the_line(text: str, expected: str) -> None:
    """A setting the model refuses is reported as name:LINE: field: message."""
    with pytest.raises(CalendarError, match=expected):
        parse_calendar(text, name="c.yaml")


@pytest.mark.parametrize("text", ["- quarter\n- year\n", "quarter\n", "42\n"])
def test_non_mapping_document_is_refused(text: str) -> None:
    """A list or a scalar at the top is not a calendar; the error names line 1."""
    with pytest.raises(CalendarError, match=r"^c\.yaml:1: a calendar is a mapping of settings$"):
        parse_calendar(text, name="c.yaml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("period_kinds: [quarter\n", r"^c\.yaml:2: not valid YAML"),
        ("send_at: '08:00'\nsend_at: '09:00'\n", r"^c\.yaml:2: not valid YAML .*appears twice"),
        ("a: 1\n---\nb: 2\n", r"^c\.yaml:2: not valid YAML"),
        ("key: [unclosed\n  - x: {\n", r"^c\.yaml:\d+: not valid YAML"),
    ],
)
def test_invalid_yaml_is_a_calendar_error(text: str, expected: str) -> None:
    """YAML that does not parse, or repeats a key, raises CalendarError with the line."""
    with pytest.raises(CalendarError, match=expected):
        parse_calendar(text, name="c.yaml")


def test_impossible_unquoted_holiday_is_a_calendar_error() -> None:
    """An impossible holiday date written unquoted is refused with a CalendarError."""
    with pytest.raises(CalendarError, match=r"^c\.yaml:"):
        parse_calendar("holidays:\n  - 2026-13-01\n", name="c.yaml")


def test_unquoted_time_is_read_as_that_time_or_refused() -> None:
    """`escalate_at: 16:00` written without quotes means 16:00 or is refused, never 00:16."""
    try:
        calendar = parse_calendar("escalate_at: 16:00\n", name="c.yaml")
    except CalendarError as exc:
        assert str(exc).startswith("c.yaml:1: escalate_at")
    else:
        assert calendar.escalate_at == time(16, 0)


def test_unquoted_quiet_hours_do_not_break_quiet_until() -> None:
    """quiet_hours written unquoted either load as 21:00-07:00 or are refused at load time."""
    try:
        calendar = parse_calendar("quiet_hours: {start: 21:00, end: '07:00'}\n", name="c.yaml")
    except CalendarError:
        return
    assert calendar.quiet_until(local(2026, 12, 7, 22, 30), ZONE) == local(2026, 12, 8, 7)


def test_event_slot_names() -> None:
    """Outbox keys name reminders by their day, other events by their kind."""
    slots = [e.slot for e in Calendar().events("2026-Q4", ZONE)]
    assert slots == ["open", "remind3", "remind1", "remind0", "escalate", "late"]
