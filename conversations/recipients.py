"""/noinhan: a commune's chairman or vice-chairman sets who its reports go to ("Nơi nhận").

`/noinhan` shows the list as the report prints it and reads the person's next message as the
new list (a PendingInput, as for a return comment, so it is not taken as an answer and /huy
forgets it); `/noinhan` followed by the list sets it at once. One recipient a line, or
"mặc định" for the default. No Telegram here.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.outgoing import Outcome
from report_templates.compose import recipient_lines
from storage.models import PendingInput, PendingInputKind, Person, Unit, utc_now
from storage.units import (
    MAX_RECIPIENT_LENGTH,
    MAX_RECIPIENTS,
    overlong,
    set_recipients,
    split_recipients,
    units_led_by,
)
from wording.folding import fold
from wording.units import KIND_LABELS

RESET_WORDS = frozenset({fold(texts.RECIPIENTS_RESET_WORD), "macdinh", "default"})


async def show(session: AsyncSession, *, person: Person) -> Outcome:
    """The unit's list as printed, and the next message taken as the new one."""
    unit = await _led_unit(session, person)
    if unit is None:
        return Outcome.say(texts.NOT_LEADER_FOR_RECIPIENTS)
    await _ask_next_message(session, person, unit)
    return Outcome.say(
        texts.recipients_now(
            unit=texts.unit_display_name(unit),
            lines=await printed(session, unit),
            default=unit.recipients is None,
        )
    )


async def set_typed(session: AsyncSession, *, person: Person, text: str) -> Outcome:
    """`/noinhan <list>`: the list typed with the command."""
    unit = await _led_unit(session, person)
    if unit is None:
        return Outcome.say(texts.NOT_LEADER_FOR_RECIPIENTS)
    return await _take(session, person, unit, text)


async def take_text(
    session: AsyncSession, *, person: Person, pending: PendingInput, text: str
) -> Outcome:
    """The message after `/noinhan`: the new list, or "mặc định"; a bad list is asked again."""
    unit = await session.get(Unit, pending.unit_id) if pending.unit_id is not None else None
    led = await units_led_by(session=session, person_id=person.id)
    if unit is None or unit.id not in {each.id for each in led}:  # their role was taken away
        await session.delete(pending)
        return Outcome.say(texts.NOT_LEADER_FOR_RECIPIENTS)
    return await _take(session, person, unit, text)


async def printed(session: AsyncSession, unit: Unit) -> tuple[str, ...]:
    """The unit's "Nơi nhận" lines as its next report prints them."""
    office = await session.get(Unit, unit.office_id) if unit.office_id is not None else None
    return recipient_lines(
        unit.recipients or (),
        receiving_office=office.name if office is not None else "",
        unit_kind=KIND_LABELS[unit.kind],
    )


async def _take(session: AsyncSession, person: Person, unit: Unit, text: str) -> Outcome:
    recipients: list[str] | None
    if fold(text) in RESET_WORDS:
        recipients = None
    else:
        recipients = split_recipients(text)
        problem = _problem(recipients)
        if problem is not None:
            await _ask_next_message(session, person, unit)  # the next message is tried again
            return Outcome.say(problem)
    await set_recipients(
        session=session, unit=unit, recipients=recipients, actor_person_id=person.id
    )
    pending = await session.get(PendingInput, person.id)
    if pending is not None and pending.kind is PendingInputKind.RECIPIENTS:
        await session.delete(pending)
    return Outcome.say(
        texts.recipients_saved(
            unit=texts.unit_display_name(unit),
            lines=await printed(session, unit),
            default=recipients is None,
        )
    )


async def _ask_next_message(session: AsyncSession, person: Person, unit: Unit) -> None:
    """The person's next message is read as the unit's list (replacing any earlier ask)."""
    await session.merge(
        PendingInput(
            person_id=person.id,
            kind=PendingInputKind.RECIPIENTS,
            draft_id=None,
            unit_id=unit.id,
            created_at=utc_now(),
        )
    )


def _problem(recipients: list[str]) -> str | None:
    if not recipients:
        return texts.RECIPIENTS_EMPTY
    if len(recipients) > MAX_RECIPIENTS:
        return texts.recipients_too_many(len(recipients), MAX_RECIPIENTS)
    too_long = overlong(recipients)
    if too_long:
        return texts.recipients_too_long(too_long, MAX_RECIPIENT_LENGTH)
    return None


async def _led_unit(session: AsyncSession, person: Person) -> Unit | None:
    """The commune the person leads (the first, for the rare person who leads two)."""
    units = await units_led_by(session=session, person_id=person.id)
    return units[0] if units else None
