"""What the approval's concerns share: callback data, the roles involved, a version's case
(draft, round, commune, period) and the workflow's base: the outbox and the register."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.outgoing import Action, Item, to_payload
from report_templates.compiled import report_filename
from report_templates.draft import KindBundle
from storage.approval import approving_roles, highest_number, round_in_place
from storage.contacts import destination
from storage.models import Draft, Person, ReportingPeriod, ReportingRound, Role, Unit
from storage.outbox import enqueue

logger = logging.getLogger(__name__)

CALLBACK_PREFIX = "a:"
CALLBACK_PATTERN = re.compile(r"^a:(\d{1,12}):(ok|ret|data|get|ack|num|typ)$")
MEMBER_ROLES = (Role.OFFICER, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK)
# The roles whose next message may be asked for: a return comment or the recipients list
# (approvers), a document number (clerks and approvers).
ASKED_FOR_TEXT = (Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK)
SIGNER_TITLES = {"chairman": "Chủ tịch", "vice_chairman": "Phó Chủ tịch"}


def callback(draft_id: int, action: str) -> str:
    return f"{CALLBACK_PREFIX}{draft_id}:{action}"


@dataclass(frozen=True)
class Case:
    """A version with its round, commune and period, as most decisions need them together."""

    draft: Draft
    round: ReportingRound
    unit: Unit
    period: ReportingPeriod
    kind: KindBundle  # the round's report kind: its form, template, layout and names

    @property
    def unit_label(self) -> str:
        return texts.unit_display_name(self.unit)

    @property
    def report_label(self) -> str:
        """The report and its period, as the texts name it: 'CCHC quý IV năm 2026'."""
        return texts.report_label(self.kind.short_name, self.period)

    def filename(self, fmt: str = "docx") -> str:
        """ASCII and named by commune and period: an office folder sorts, any phone opens it."""
        tail = (
            f"so{self.draft.number.split('/')[0]}"
            if self.draft.number
            else f"v{self.draft.version}"
        )
        return report_filename(
            period_code=self.period.code,
            unit_code=self.unit.code,
            unit_name=self.unit.name,
            tail=tail,
            fmt=fmt,
            prefix=self.kind.file_prefix,
        )


class ApprovalBase:
    """What every concern of the approval shares: the report kinds a version is made from, the
    case a version belongs to, the outbox, the approver's role and the register's next number."""

    def __init__(
        self,
        kinds: Mapping[str, KindBundle] | KindBundle,
        *,
        timezone: ZoneInfo,
        pdf_available: bool = False,
    ) -> None:
        # Each kind's form, template and layout by its code; a version is made with its round's.
        self.kinds: dict[str, KindBundle] = (
            {kinds.code: kinds} if isinstance(kinds, KindBundle) else dict(kinds)
        )
        self.timezone = timezone
        self.pdf_available = pdf_available

    @staticmethod
    def decision_buttons(draft_id: int) -> tuple[tuple[Action, ...], ...]:
        return (
            (
                Action(texts.APPROVE_BUTTON, callback(draft_id, "ok")),
                Action(texts.RETURN_BUTTON, callback(draft_id, "ret")),
            ),
            (Action(texts.VIEW_DATA_BUTTON, callback(draft_id, "data")),),
        )

    @staticmethod
    def number_buttons(draft_id: int, next_number: int) -> tuple[tuple[Action, ...], ...]:
        """The clerk's choice: the register's next number, or one typed."""
        return (
            (
                Action(texts.use_number_button(next_number), callback(draft_id, "num")),
                Action(texts.TYPE_NUMBER_BUTTON, callback(draft_id, "typ")),
            ),
        )

    # ----- queries ---------------------------------------------------------------------------

    async def _queue(
        self,
        session: AsyncSession,
        key: str,
        purpose: str,
        item: Item,
        *,
        person: Person | None = None,
        office: Unit | None = None,
        draft_id: int | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        if person is not None and await destination(session=session, person_id=person.id) is None:
            return False  # on no channel: nobody to send it to
        return await enqueue(
            session=session,
            key=key,
            purpose=purpose,
            payload=to_payload(item),
            office_id=office.id if office is not None else None,
            person_id=person.id if person is not None else None,
            draft_id=draft_id,
            not_before=not_before,
        )

    async def _case(self, session: AsyncSession, draft: Draft | None) -> Case | None:
        if draft is None:
            return None
        row = await round_in_place(session=session, round_id=draft.round_id)
        if row is None:
            return None
        round_, unit, period = row
        kind = self.kinds.get(round_.kind)
        if kind is None:  # a kind the settings no longer list: its versions wait until it is back
            logger.warning(
                "Draft %s is of report kind %r, which is not loaded", draft.id, round_.kind
            )
            return None
        return Case(draft=draft, round=round_, unit=unit, period=period, kind=kind)

    @staticmethod
    async def _approver_role(session: AsyncSession, person_id: int, unit_id: int) -> Role | None:
        """CHAIRMAN or VICE_CHAIRMAN if the person approves for the unit, else None."""
        roles = await approving_roles(session=session, person_id=person_id, unit_id=unit_id)
        if Role.CHAIRMAN in roles:
            return Role.CHAIRMAN
        return Role.VICE_CHAIRMAN if roles else None

    async def _next_number(
        self, session: AsyncSession, unit_id: int, year: int | None = None
    ) -> int:
        year = year or self._today().year
        highest = await highest_number(session=session, unit_id=unit_id, year=year)
        return (highest or 0) + 1

    def _today(self) -> date:
        return datetime.now(self.timezone).date()


def decider_note_key(draft_id: int, person_id: int) -> str:
    """The outbox key of the approver's "approved, number ..." note."""
    return f"draft:{draft_id}:final:{person_id}:note"
