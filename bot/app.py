"""Build the Telegram application: the one place where every handler is wired."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes

from bot.aiohttp_request import AiohttpRequest, UpdatesRequest
from bot.config import Settings
from bot.handlers.approval import ApprovalHandlers
from bot.handlers.office import OfficeHandlers
from bot.handlers.questionnaire import QuestionnaireHandlers
from bot.handlers.recipients import RecipientsHandlers
from bot.handlers.registration import RegistrationHandlers
from bot.menus import CommandMenus
from bot.polling import RECEIVED_UPDATES, failed_updates
from bot.sending import ReportFiles
from conversations.approval import ApprovalWorkflow
from conversations.duties import CalendarDuties
from conversations.engine import Questionnaire
from conversations.office import OfficeDesk
from report_templates.draft import pdf_converter_available
from report_templates.kinds import ReportKinds
from storage.db import Database

logger = logging.getLogger(__name__)


def make_workflow(settings: Settings, kinds: ReportKinds) -> ApprovalWorkflow:
    """The approval workflow, drafting each round with its report kind's files."""
    return ApprovalWorkflow(
        kinds, timezone=settings.timezone, pdf_available=pdf_converter_available()
    )


def make_questionnaire(
    settings: Settings, kinds: ReportKinds, workflow: ApprovalWorkflow | None = None
) -> Questionnaire:
    """The questionnaire over every kind's form; a round complete goes to `workflow`."""
    return Questionnaire(
        kinds.forms,
        kind_names=kinds.short_names,
        on_round_submitted=workflow.on_round_submitted if workflow is not None else None,
        today=lambda: datetime.now(settings.timezone).date(),
    )


def make_office_desk(
    settings: Settings, kinds: ReportKinds, questionnaire: Questionnaire
) -> OfficeDesk:
    """The receiving office's desk, reminding through each kind's calendar duties; at each
    kind's deadline the desk queues that kind's compiled files."""
    duties = {
        code: CalendarDuties(questionnaire, kind.calendar, settings.timezone, report_kind=code)
        for code, kind in kinds.items()
    }
    desk = OfficeDesk(kinds, zone=settings.timezone, duties=duties)
    for duty in duties.values():
        duty.at_deadline = desk.deliver_at_deadline
    return desk


def build_application(
    settings: Settings,
    database: Database,
    kinds: ReportKinds,
    workflow: ApprovalWorkflow | None = None,
    desk: OfficeDesk | None = None,
    menus: CommandMenus | None = None,
) -> Application:  # type: ignore[type-arg]
    token = settings.token
    if token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is required to build the bot")
    menus = menus or CommandMenus(database, kinds.forms.values())
    # getUpdates alone goes through this one, which keeps the updates as they came (the inbox's).
    updates_request = UpdatesRequest(connection_pool_size=1)
    application = (
        ApplicationBuilder()
        .token(token)
        .base_url(settings.bot_base_url)
        .base_file_url(settings.bot_file_base_url)
        # bot.polling runs updates in lanes itself: in order within a chat, chats side by side.
        .concurrent_updates(False)
        # bot.polling fetches updates itself, confirming each only after it was handled.
        .updater(None)
        # aiohttp, not PTB's httpx: a fifth of an answer's CPU (bot/aiohttp_request.py).
        .request(AiohttpRequest())
        .get_updates_request(updates_request)
        .post_init(menus.set_default_at_start)
        .build()
    )
    application.bot_data[RECEIVED_UPDATES] = updates_request
    workflow = workflow or make_workflow(settings, kinds)
    registration = RegistrationHandlers(database, menus)
    questionnaire = QuestionnaireHandlers(
        database,
        make_questionnaire(settings, kinds, workflow),
        not_in_walk=registration.anything_else,
        edited_not_in_walk=registration.edited,
    )
    desk = desk or make_office_desk(settings, kinds, questionnaire.questionnaire)
    files = ReportFiles(database, office=desk)
    approval = ApprovalHandlers(
        database,
        workflow,
        files,
        answers=questionnaire,
        cancel_otherwise=questionnaire.pause,
        not_text_otherwise=questionnaire.not_text,
    )
    # One group: PTB runs only the first matching handler of a group. Approval comes before
    # the questionnaire (it reads a comment asked for, else hands the message over), and the
    # fallbacks, added last, answer only what no feature handled.
    application.add_handlers(
        [
            *registration.handlers(),
            *OfficeHandlers(database, desk, files).handlers(),
            *RecipientsHandlers(database).handlers(),
            *approval.handlers(),
            *questionnaire.handlers(),
            *registration.fallbacks(),
        ]
    )
    application.add_error_handler(_on_error)
    return application


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log the failure with its traceback and mark the update failed.

    The turn's transaction rolled back, so nothing of the update was kept: the poller handles
    it again and, if it keeps failing, tells the person plainly that it was not taken. Saying
    anything here would promise what may not be true.
    """
    logger.error("Error while handling an update", exc_info=context.error)
    if isinstance(update, Update):
        failed_updates(context.application).add(update.update_id)
