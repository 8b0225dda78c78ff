"""/lichsu: the versions of a person's communes (an office's received reports), and the figures
behind a version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval.common import MEMBER_ROLES, ApprovalBase, Case, callback
from conversations.outgoing import Action, Item, Outcome, Text
from definitions.values import display
from report_templates.preview import TELEGRAM_LIMIT, pack_messages
from storage.approval import drafts_of, latest_rounds, memberships_of, reports_received, roles_in
from storage.models import Draft, DraftStatus, Person, Role

HISTORY_ROUNDS = 3
HISTORY_RECEIVED = 20  # an office's latest reports shown by /lichsu


class History(ApprovalBase):
    """/lichsu and the figures behind a version, for those who may see them."""

    async def history(self, session: AsyncSession, *, person: Person) -> Outcome:
        """/lichsu: the versions of the person's communes' latest rounds, each downloadable.

        Office staff see the approved reports of their own communes only.
        """
        memberships = await memberships_of(session=session, person_id=person.id)
        unit_ids = {unit_id for unit_id, role in memberships if role in MEMBER_ROLES}
        office_ids = {unit_id for unit_id, role in memberships if role is Role.OFFICE}
        items: list[Item] = []
        if unit_ids:
            rounds = await latest_rounds(
                session=session, unit_ids=unit_ids, limit=HISTORY_ROUNDS * len(unit_ids)
            )
            for round_ in rounds:
                drafts = await drafts_of(session=session, round_id=round_.id)
                if drafts:
                    item = await self._history_item(session, drafts)
                    latest = drafts[-1]
                    if latest.status is DraftStatus.AWAITING and await self._approver_role(
                        session, person.id, round_.unit_id
                    ):
                        # An approver who registered after the draft went out decides from here.
                        item = Text(item.text, item.buttons + self.decision_buttons(latest.id))
                    items.append(item)
        if office_ids:
            received = await reports_received(
                session=session, office_ids=office_ids, limit=HISTORY_RECEIVED
            )
            for draft in received:
                items.append(await self._history_item(session, [draft]))
        if not items:
            return Outcome.say(texts.NO_HISTORY)
        return Outcome(items=tuple(items))

    async def _history_item(self, session: AsyncSession, drafts: Sequence[Draft]) -> Text:
        case = await self._case(session, drafts[0])
        assert case is not None
        lines = [texts.history_header(unit=case.unit_label, period=case.report_label)]
        buttons = []
        for draft in drafts:
            lines.append(
                texts.version_line(
                    version=draft.version,
                    status=draft.status.value,
                    at=f"{draft.created_at.astimezone(self.timezone):%d/%m/%Y %H:%M}",
                    number=draft.number,
                    comment=draft.comment,
                )
            )
            buttons.append(Action(texts.version_button(draft.version), callback(draft.id, "get")))
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        return Text(_clip("\n".join(lines)), rows)

    # ----- figures behind a version ----------------------------------------------------------

    def _figures(self, case: Case) -> list[str]:
        answers: dict[str, Any] = case.draft.report.get("answers", {})
        header = texts.data_header(
            unit=case.unit_label, period=case.report_label, version=case.draft.version
        )
        sections = [[header + "\n"]]
        for section in case.kind.form.sections:
            shown = [
                f"• {question.short or question.label}: {display(question, answers[question.code])}"
                for question in section.questions
                if answers.get(question.code) is not None
            ]
            if shown:
                sections.append([f"\n{section.title}\n", *(f"{line}\n" for line in shown)])
        return [message.rstrip("\n") for message in pack_messages(sections)]

    async def _may_see(self, session: AsyncSession, person: Person, case: Case) -> bool:
        """The commune's people see every version; its office only what the commune approved
        (draft ids are sequential, so a forged button must not open a draft)."""
        unit = case.unit
        if await roles_in(session, person.id, unit.id) & set(MEMBER_ROLES):
            return True
        return (
            case.draft.status is DraftStatus.APPROVED
            and unit.office_id is not None
            and Role.OFFICE in await roles_in(session, person.id, unit.office_id)
        )


def _clip(text: str) -> str:
    return text if len(text) <= TELEGRAM_LIMIT else text[: TELEGRAM_LIMIT - 1] + "…"
