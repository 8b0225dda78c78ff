"""A round complete becomes a draft version, queued for the commune's approvers."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from conversations import texts
from conversations.approval.common import ApprovalBase, Case
from conversations.outgoing import Item, ReportFile, Text
from report_templates.compose import compose
from report_templates.docx_writer import docx_bytes
from report_templates.from_round import report_input_for_round, report_to_json
from report_templates.preview import preview_messages
from storage import audit
from storage.approval import IS_APPROVER, latest_draft, registered_people
from storage.models import Draft, DraftStatus, Person
from storage.questionnaire import lock_round

logger = logging.getLogger(__name__)


class Drafting(ApprovalBase):
    """A round complete: a new version for the approvers."""

    async def on_round_submitted(
        self, session: AsyncSession, round_id: int, person_id: int
    ) -> None:
        """Make a version from the round's answers and queue it for the approvers.

        Called in the transaction that submitted the last section. A resubmission that changed
        nothing keeps the version the approvers already have.
        """
        round_ = await lock_round(session=session, round_id=round_id)
        kind = self.kinds[round_.kind]  # the questionnaire serves only the kinds loaded
        approvers = await registered_people(session, round_.unit_id, IS_APPROVER)
        report = await report_input_for_round(
            session=session, round_id=round_id, form=kind.form, today=self._today()
        )
        if approvers:  # the draft shows who is expected to sign; the approver's name replaces it
            signer, role = approvers[0]
            report = dataclasses.replace(
                report, signer_name=signer.full_name, signer_role=role.value
            )
        frozen = report_to_json(report)
        latest = await latest_draft(session=session, round_id=round_id)
        if latest is not None and latest.status is DraftStatus.AWAITING:
            if _same_figures(latest.report, frozen):
                return
            latest.status = DraftStatus.SUPERSEDED
            await audit.record(
                session=session,
                action="draft.superseded",
                entity_type="draft",
                entity_id=latest.id,
                actor_person_id=person_id,
                details={"version": latest.version},
            )
        document = compose(report, templates=kind.templates, form=kind.form)
        preview = preview_messages(document)
        draft = Draft(
            round_id=round_id,
            version=(latest.version + 1) if latest is not None else 1,
            status=DraftStatus.AWAITING,
            report=frozen,
            preview_text="\n\n".join(preview),
            docx=docx_bytes(document, layout=kind.layout),
            created_by_person_id=person_id,
        )
        session.add(draft)
        await session.flush()
        await audit.record(
            session=session,
            action="draft.created",
            entity_type="draft",
            entity_id=draft.id,
            actor_person_id=person_id,
            details={"round_id": round_id, "version": draft.version},
        )
        case = await self._case(session, draft)
        if case is None:
            raise LookupError(f"draft {draft.id} lost its round")
        if not approvers:
            logger.warning(
                "Round %s is complete but no approver of its unit is registered", round_id
            )
        for person, _role in approvers:
            await self._queue_for_approver(session, case, person, preview)

    async def _queue_for_approver(
        self, session: AsyncSession, case: Case, person: Person, preview: list[str]
    ) -> None:
        labels = {"unit": case.unit_label, "period": case.report_label}
        items: list[Item] = [Text(texts.draft_intro(**labels, version=case.draft.version))]
        items.extend(Text(part) for part in preview)
        items.append(
            ReportFile(
                draft_id=case.draft.id,
                format="docx",
                filename=case.filename(),
                caption=texts.draft_caption(**labels, version=case.draft.version),
                buttons=self.decision_buttons(case.draft.id),
            )
        )
        for index, item in enumerate(items):
            await self._queue(
                session,
                f"draft:{case.draft.id}:approver:{person.id}:{index}",
                "draft_to_approver",
                item,
                person=person,
                draft_id=case.draft.id,
            )


def _same_figures(before: dict[str, Any], after: dict[str, Any]) -> bool:
    keys = ("answers", "previous", "signer_name", "signer_role", "receiving_office", "recipients")
    # A version frozen before a key existed (recipients) has it absent, which reads as empty.
    return all((before.get(key) or None) == (after.get(key) or None) for key in keys)
