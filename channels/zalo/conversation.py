"""The questionnaire and the approver's decision on Zalo: the same engine and workflow as on
Telegram, replies without buttons.

A registered person's message goes through the same turn as on Telegram: one transaction that
claims the message (a redelivery only repeats where the person is), runs the engine and records
that the person wrote from Zalo, then the replies, each button written out as words to type
(channels.text_only) and split under Zalo's 2,000 characters. A typed word that names an option
of the prompt the person saw acts as that button; anything else is an answer, read against the
prompt that was on their screen when they typed it (Zalo's timestamps place both). An approver's
"duyệt", "sửa <ý kiến>" or "xem số liệu" acts on the draft waiting for their decision.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from channels import text_only
from channels.base import Incoming, IncomingKind, SendError
from channels.zalo.api import MAX_TEXT_LENGTH, ZaloBotApi
from channels.zalo.outlet import ZaloOutlet, typed_words
from conversations import texts
from conversations.approval import ApprovalWorkflow
from conversations.engine import Button, OutMessage, Questionnaire, Reply
from conversations.office import OFFICE_ARGUMENT_LIMIT, OfficeDesk
from conversations.outgoing import CompiledFile, Outcome, Picture
from storage.audit import acting_on
from storage.contacts import find_by_contact
from storage.db import Database
from storage.invitations import CODE_PATTERN, RedeemFailure, ZaloAccount, redeem_invitation
from storage.models import ChannelName, Person, Role
from storage.outbox import settle_reply_copy
from storage.questionnaire import claim_update, latest_state, record_delivered, shown_before
from wording.folding import fold

logger = logging.getLogger(__name__)

CHANNEL = ChannelName.ZALO
# What Zalo serves: the questionnaire, the approver's decision and the clerk's number typed as
# words, and the receiving office (/tiendo, /tonghop, «nhắc», its files). Administrators work
# from the command line and Telegram.
ROLES_ON_ZALO = frozenset(
    {Role.OFFICER, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK, Role.OFFICE}
)


class ZaloConversation:
    """Handles one Zalo message end to end (ZaloReceiver calls `handle` in the chat's lane)."""

    def __init__(
        self,
        database: Database,
        questionnaire: Questionnaire,
        api: ZaloBotApi,
        *,
        workflow: ApprovalWorkflow | None = None,
        desk: OfficeDesk | None = None,
    ) -> None:
        self.database = database
        self.questionnaire = questionnaire
        self.api = api
        # The chairman's decision typed as words; None: the questionnaire only.
        self.workflow = workflow
        # The receiving office's commands; None: not served here.
        self.desk = desk
        self.outlet = ZaloOutlet(api)

    async def handle(self, incoming: Incoming) -> None:
        if incoming.in_group:
            return  # a basic Zalo bot is never in a group; nothing there is for it
        with acting_on(CHANNEL):
            await self._handle(incoming)

    async def _handle(self, incoming: Incoming) -> None:
        async with self.database.session() as session:
            known = await find_by_contact(
                session=session, channel=CHANNEL, address=incoming.sender_id
            )
            reply: Reply | Outcome | None
            code = _invitation_code(incoming)
            if code is not None:
                reply = await self._register(session, incoming, code)
            elif known is None:
                reply = _say(texts.ZALO_NOT_REGISTERED)
            elif not await claim_update(session=session, key=incoming.key, channel=CHANNEL):
                # Delivered again (a crash after the turn committed): repeat where they are.
                reply = await self.questionnaire.current_prompt(session, person=known.person)
            else:
                if known.person.last_channel != CHANNEL:
                    known.person.last_channel = CHANNEL  # queued messages now come on Zalo
                reply = await self._act(session, known.person, incoming)
        if isinstance(reply, Outcome):
            await self.send_outcome(incoming.address.chat_id, reply)
        else:
            await self.send(incoming.address.chat_id, reply or _say(texts.NOTHING_TO_DO_YET))

    async def _act(
        self, session: AsyncSession, person: Person, incoming: Incoming
    ) -> Reply | Outcome | None:
        walk = self.questionnaire
        if incoming.kind is not IncomingKind.TEXT or incoming.text is None:
            where = await walk.current_prompt(session, person=person)
            if where is None or not where.messages:
                return _say(texts.ZALO_TEXT_ONLY)
            return _prefixed(texts.ZALO_TEXT_ONLY, where)
        text = incoming.text.strip()
        command = text.split(maxsplit=1)[0].lower() if text.startswith("/") else None
        decided = await self._approval(session, person, text, command)
        if decided is not None:
            return decided
        if command == "/baocao":
            words = text.split()
            kind = words[1] if len(words) > 1 else None  # "/baocao tthc": that report
            return await walk.begin(session, person=person, report_kind=kind)
        if command == "/xem":
            return await walk.entered(session, person=person)
        if command == "/huy":
            return await walk.pause(session, person=person)
        if command == "/help":
            office = self.desk is not None and bool(await self.desk.offices_of(session, person))
            return _say(texts.zalo_help(full_name=person.full_name, office=office))
        office_answer = await self._office(session, person, text, command)
        if office_answer is not None:
            return office_answer
        order = _millis(incoming)
        chosen = await self._chosen_option(session, person, text, order)
        if chosen is not None:
            return chosen
        return await walk.answer_text(
            session, person=person, text=text, message_order=order, channel=CHANNEL
        )

    async def _register(self, session: AsyncSession, incoming: Incoming, code: str) -> Reply:
        """An invitation code sent as a message (Zalo has no deep links): bind the account.
        Every failure reads the same to the sender, who learns nothing about other codes."""
        result = await redeem_invitation(
            session=session,
            code=code,
            account=ZaloAccount(user_id=incoming.sender_id, display_name=incoming.sender_name),
            chat_id=incoming.address.chat_id,
            only_roles=ROLES_ON_ZALO,
        )
        registration = result.registration
        if registration is None:
            logger.info("Refused a Zalo registration: %s", result.failure)
            if result.failure is RedeemFailure.WRONG_CHAT:
                return _say(texts.ZALO_ROLE_NOT_YET)
            return _say(texts.ZALO_INVALID_INVITATION)
        registration.person.last_channel = CHANNEL  # they wrote from Zalo last
        greeting = texts.greeting(
            full_name=registration.person.full_name,
            role=registration.role,
            unit=registration.unit,
        )
        if registration.role is Role.OFFICE:
            where = (
                texts.ZALO_OFFICE_FILES_HERE
                if registration.office_files_here
                else texts.ZALO_OFFICE_FILES_ELSEWHERE
            )
            greeting = f"{greeting}\n\n{where}"
        if registration.newly_registered:
            logger.info(
                "Registered person %s on Zalo as %s of unit %s",
                registration.person.id,
                registration.role.value,
                registration.unit.code,
            )
        return _say(greeting)

    async def _office(
        self, session: AsyncSession, person: Person, text: str, command: str | None
    ) -> Outcome | None:
        """/tiendo, /tonghop and «nhắc» for the receiving office's staff; None for anything
        else, or for someone who works for no receiving office."""
        desk = self.desk
        if desk is None or (command not in ("/tiendo", "/tonghop") and fold(text) != "nhac"):
            return None
        now = datetime.now(UTC)
        if command is None:  # «nhắc»: the office's button, for its latest period
            return await desk.remind_latest(session, person=person, now=now)
        argument = " ".join(text.split(maxsplit=1)[1:]).strip()
        if len(argument) > OFFICE_ARGUMENT_LIMIT:
            return Outcome.say(desk.bad_argument())
        act = desk.compiled if command == "/tonghop" else desk.progress
        outcome = await act(session, person=person, group_chat_id=None, argument=argument, now=now)
        return outcome if outcome is not None else Outcome.say(texts.NOT_OFFICE_STAFF)

    async def _approval(
        self, session: AsyncSession, person: Person, text: str, command: str | None
    ) -> Outcome | None:
        """A return comment or a number asked for; the decision typed ("duyệt", "sửa <ý kiến>",
        "xem số liệu") on the draft waiting for this approver; or the clerk's number ("dùng số",
        "số 7") for the approved version waiting for it; None for anything else."""
        workflow = self.workflow
        if workflow is None:
            return None
        if await workflow.waiting_for(session, person=person):
            if command == "/huy":
                return await workflow.cancel(session, person=person)
            if command is None:
                return await workflow.take_text(session, person=person, text=text)
        if command is not None:
            return None
        draft_id = await workflow.awaiting_decision(session, person=person)
        if draft_id is not None:
            keyboard = workflow.decision_buttons(draft_id)
        else:
            draft_id = await workflow.awaiting_number(session, person=person)
            if draft_id is None:
                return None
            keyboard = workflow.number_buttons(draft_id, 0)  # the words, not the labels, count
        words = {action.data: typed_words(action.data) or () for row in keyboard for action in row}
        buttons = [[Button(action.label, action.data) for action in row] for row in keyboard]
        choice = text_only.read(text, text_only.options_for(buttons, words))
        if choice is None:
            return None
        action = choice.action.rsplit(":", 1)[1]
        outcome = await workflow.press(session, person=person, draft_id=draft_id, action=action)
        if (
            action in ("ret", "typ")
            and choice.rest
            and await workflow.waiting_for(session, person=person)
        ):
            # "sửa <ý kiến>", "số 7": what the Telegram user types next came with the word.
            return await workflow.take_text(session, person=person, text=choice.rest) or outcome
        return outcome

    async def send_outcome(self, chat_id: str, outcome: Outcome) -> None:
        """The approval's answer: its messages, or its refusal as a message (no pop-ups)."""
        if not outcome.items and outcome.alert:
            await self.send(chat_id, _say(outcome.alert, accepted=outcome.accepted))
            return
        for index, item in enumerate(outcome.items):
            if isinstance(item, Picture):
                continue  # the office's chart: the list that follows says the same in words
            try:
                await self.outlet.send(chat_id, item)
            except SendError as exc:
                if isinstance(item, CompiledFile):
                    await self.send(chat_id, _say(texts.ZALO_NO_COMPILED_FILE))
                    continue
                logger.warning("Could not send an approval reply on Zalo: %s", exc)
                return  # in order or not at all; a held-back copy of the first still goes
            if index == 0 and outcome.saved_as is not None:
                await settle_reply_copy(self.database, outcome.saved_as, None, CHANNEL)

    async def _chosen_option(
        self, session: AsyncSession, person: Person, text: str, order: int
    ) -> Reply | None:
        """The typed words as a button of the prompt the person saw, if they name one; None
        when they do not (the text is then an answer)."""
        state = await latest_state(session=session, person_id=person.id)
        if state is None:
            return None
        seen = shown_before(state, order, CHANNEL)
        if seen is None or seen.get("step") != state.step:
            return None  # typed before the current prompt reached them: the answer path says so
        prompt = await self.questionnaire.current_prompt(session, person=person)
        if prompt is None or prompt.state_id is None or prompt.step is None:
            return None
        options = text_only.options_for(row for out in prompt.messages for row in out.buttons)
        choice = text_only.read(text, options)
        if choice is None:
            return None
        reply = await self.questionnaire.press(
            session, person=person, state_id=prompt.state_id, step=prompt.step, action=choice.action
        )
        if reply.accepted:
            return reply
        return _say(reply.alert or texts.OLD_BUTTON, accepted=False)

    async def send(self, chat_id: str, reply: Reply) -> bool:
        """Send every message of a reply as text; a prompt counts as shown from its last piece."""
        last_at_ms: int | None = None
        for out in reply.messages:
            for piece in text_only.split(text_only.render(out), MAX_TEXT_LENGTH):
                try:
                    sent = await self.api.send_message(chat_id, piece)
                except SendError as exc:
                    logger.warning("Could not send a Zalo reply (%s): %s", exc.failure, exc)
                    return False
                last_at_ms = int(sent.at.timestamp() * 1000)
        if last_at_ms is not None and reply.is_prompt:
            assert reply.state_id is not None and reply.step is not None
            await record_delivered(
                self.database,
                state_id=reply.state_id,
                step=reply.step,
                question_code=reply.question_code,
                message_id=last_at_ms,
                channel=CHANNEL,
            )
        return True


def _invitation_code(incoming: Incoming) -> str | None:
    """The code in "/start CODE" or in a message that is only a code, as the invitation says
    to send it; None for anything else."""
    words = (incoming.text or "").split()
    if len(words) == 2 and words[0].lower() == "/start":
        return words[1]
    if len(words) == 1 and CODE_PATTERN.match(words[0]):
        return words[0]
    return None


def _say(text: str, *, accepted: bool = True) -> Reply:
    return Reply(messages=(OutMessage(text),), accepted=accepted)


def _prefixed(note: str, reply: Reply) -> Reply:
    first, *rest = reply.messages
    return Reply(
        messages=(OutMessage(f"{note}\n\n{first.text}", first.buttons), *rest),
        state_id=reply.state_id,
        step=reply.step,
        accepted=False,
        question_code=reply.question_code,
    )


def _millis(incoming: Incoming) -> int:
    return int(incoming.sent_at.timestamp() * 1000)
