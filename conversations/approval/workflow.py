"""The approval workflow: the concerns put together, and the buttons that reach them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval.asking import AskedText
from conversations.approval.drafting import Drafting
from conversations.approval.history import History
from conversations.outgoing import Outcome, ReportFile, Text
from storage.models import Draft, Person


class ApprovalWorkflow(AskedText, Drafting, History):
    """From a complete round to a signed report at the receiving office; each concern in its own
    module, the buttons dispatched here."""

    async def press(
        self, session: AsyncSession, *, person: Person, draft_id: int, action: str
    ) -> Outcome:
        """Act on an approval, clerk, office or history button, if this person may."""
        draft = await session.get(Draft, draft_id)
        case = await self._case(session, draft) if draft is not None else None
        if case is None:
            return Outcome.refused(texts.OLD_BUTTON)
        if action in ("ok", "ret"):
            return await self._decide(session, person, case, approve=action == "ok")
        if action in ("num", "typ"):
            return await self._clerk(session, person, case, type_it=action == "typ")
        if action == "ack":
            return await self._acknowledge(session, person, case)
        if not await self._may_see(session, person, case):
            return Outcome.refused(texts.NOT_ALLOWED_TO_SEE)
        if action == "data":
            return Outcome(items=tuple(Text(part) for part in self._figures(case)))
        return Outcome(
            items=(
                ReportFile(
                    draft_id=case.draft.id,
                    format="docx",
                    filename=case.filename(),
                    caption=texts.version_caption(
                        unit=case.unit_label,
                        period=case.report_label,
                        version=case.draft.version,
                        status=case.draft.status.value,
                    ),
                ),
            )
        )
