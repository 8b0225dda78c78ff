"""The reporting calendar: when rounds open, who is reminded when, escalations, quiet hours.

Everything here is a pure function of the configuration and a moment, so the scheduler can ask
"what is due now?" after any downtime and get each event once, and tests can use any clock.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from definitions.forms import read_yaml, yaml_line_of
from report_kinds import packaged_folder
from storage.periods import PeriodWindow, window

DEFAULT_CALENDAR = "report_kinds/cchc/calendar.yaml"  # the CCHC kind's, the packaged default
KIND_SUFFIXES = {"quarter": ("Q1", "Q2", "Q3", "Q4"), "half_year": ("H1",), "year": ("Y",)}


class CalendarError(Exception):
    """The calendar file is unreadable or invalid; the message names the file and line."""


def _clock_time(value: Any) -> Any:
    """A time of day as written: "08:00", or 16:00 unquoted, which YAML reads as 960 (minutes)."""
    if isinstance(value, bool):
        raise ValueError("a time of day such as 08:00")
    if isinstance(value, int):
        if not 0 <= value < 24 * 60:
            raise ValueError("a time of day such as 08:00")
        return time(value // 60, value % 60)
    if isinstance(value, str) and not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
        raise ValueError("a time of day such as 08:00")
    return value


ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    start: ClockTime = time(21, 0)
    end: ClockTime = time(7, 0)


class Calendar(BaseModel):
    """The calendar's settings (see report_kinds/cchc/calendar.yaml for what each means)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period_kinds: tuple[Literal["quarter", "half_year", "year"], ...] = (
        "quarter",
        "half_year",
        "year",
    )
    open_days_before: int = Field(default=7, ge=0, le=60)
    reminder_days_before: tuple[int, ...] = (3, 1, 0)
    send_at: ClockTime = time(8, 0)
    escalate_at: ClockTime = time(16, 0)
    deadline_working_days: int = Field(default=2, ge=1, le=30)
    holidays: frozenset[date] = frozenset()
    quiet_hours: QuietHours | None = QuietHours()

    @field_validator("reminder_days_before")
    @classmethod
    def _reminders_in_range(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 0 <= days <= 60 for days in value):
            raise ValueError("reminders are 0 to 60 days before closing")
        return tuple(sorted(set(value), reverse=True))

    # ----- dates -------------------------------------------------------------------------------

    def deadline(self, closes_on: date) -> date:
        """The sending deadline: working days after closing, skipping weekends and holidays."""
        current, left = closes_on, self.deadline_working_days
        while left > 0:
            current += timedelta(days=1)
            if current.weekday() < 5 and current not in self.holidays:
                left -= 1
        return current

    def period(self, code: str) -> PeriodWindow:
        """A period's window with this calendar's deadline."""
        spec = window(code)
        return dataclasses.replace(spec, deadline_on=self.deadline(spec.closes_on))

    def events(self, code: str, zone: ZoneInfo) -> list[Event]:
        """Every scheduled event of one period, in time order."""
        spec = self.period(code)

        def at(day: date, moment: time) -> datetime:
            return datetime.combine(day, moment, tzinfo=zone)

        opens = at(spec.closes_on - timedelta(days=self.open_days_before), self.send_at)
        events = [Event(EventKind.OPEN, spec.code, opens, 0)]
        for days in self.reminder_days_before:
            moment = at(spec.closes_on - timedelta(days=days), self.send_at)
            if moment > opens:
                events.append(Event(EventKind.REMIND, spec.code, moment, days))
        events.append(
            Event(EventKind.ESCALATE_CHAIRMAN, spec.code, at(spec.closes_on, self.escalate_at), 0)
        )
        after_deadline = at(spec.deadline_on + timedelta(days=1), self.send_at)
        events.append(Event(EventKind.LATE_TO_OFFICE, spec.code, after_deadline, 0))
        return sorted(events, key=lambda event: event.at)

    def due(self, now: datetime, zone: ZoneInfo) -> list[Event]:
        """Events to act on at `now`: each event that has come and is not yet out of date.

        After downtime only the latest reminder of a period is due (a reminder is out of date
        once the next one comes); prompts stop at closing, escalations a week after they come.
        """
        found = []
        for code in self._codes_near(now.astimezone(zone).date()):
            events = self.events(code, zone)
            spec = self.period(code)
            closing_ends = datetime.combine(
                spec.closes_on + timedelta(days=1), time(0), tzinfo=zone
            )
            reminders = [event for event in events if event.kind is EventKind.REMIND]
            for event in events:
                if event.at > now:
                    continue
                if event.kind is EventKind.OPEN:
                    expires = closing_ends
                elif event.kind is EventKind.REMIND:
                    later = [other.at for other in reminders if other.at > event.at]
                    expires = min(later) if later else closing_ends
                else:
                    expires = event.at + timedelta(days=7)
                if now < expires:
                    found.append(event)
        return found

    def _codes_near(self, today: date) -> Iterator[str]:
        for year in (today.year - 1, today.year, today.year + 1):
            for kind in self.period_kinds:
                for suffix in KIND_SUFFIXES[kind]:
                    yield f"{year}-{suffix}"

    # ----- quiet hours -------------------------------------------------------------------------

    def quiet_until(self, now: datetime, zone: ZoneInfo) -> datetime | None:
        """When the quiet hours around `now` end; None if messages may go now."""
        if self.quiet_hours is None or self.quiet_hours.start == self.quiet_hours.end:
            return None
        local = now.astimezone(zone)
        start, end = self.quiet_hours.start, self.quiet_hours.end
        clock = local.time()
        # 21:00-07:00 runs across midnight; 12:00-13:00 would not.
        quiet = start <= clock < end if start < end else clock >= start or clock < end
        if not quiet:
            return None
        day = local.date() if clock < end else local.date() + timedelta(days=1)
        return datetime.combine(day, end, tzinfo=zone)


class EventKind(enum.StrEnum):
    OPEN = "open"  # open the period's rounds and ask the officers
    REMIND = "remind"  # remind those with something left
    ESCALATE_CHAIRMAN = "escalate"  # closing day: the chairman hears who has not answered
    LATE_TO_OFFICE = "late"  # after the deadline: the office hears which communes are late


@dataclass(frozen=True)
class Event:
    kind: EventKind
    period: str
    at: datetime
    days_before: int  # for reminders: how many days before closing

    @property
    def slot(self) -> str:
        """Names the event in outbox keys, so each is queued once per person."""
        if self.kind is EventKind.REMIND:
            return f"{self.kind.value}{self.days_before}"
        return self.kind.value


def load_calendar(path: Path | None = None) -> Calendar:
    """Read and validate a calendar file (the packaged default when no path is given)."""
    if path is None:
        source = packaged_folder() / "calendar.yaml"
        return parse_calendar(source.read_text(encoding="utf-8"), name=DEFAULT_CALENDAR)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendarError(f"{path}: cannot read the calendar file ({exc})") from exc
    return parse_calendar(text, name=str(path))


def parse_calendar(text: str, *, name: str) -> Calendar:
    try:
        root, data = read_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark is not None else name
        raise CalendarError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    except ValueError as exc:  # a date YAML recognises but cannot build, as 2026-13-01
        raise CalendarError(f"{name}: {exc} (dates are written YYYY-MM-DD)") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CalendarError(f"{name}:1: a calendar is a mapping of settings")
    try:
        return Calendar.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = yaml_line_of(root, [part for part in loc if isinstance(part, str | int)])
            where = ".".join(str(part) for part in loc)
            lines.append(f"{name}:{line}: {where}: {error['msg']}")
        raise CalendarError("\n".join(lines)) from exc
