"""The `baocao` command (also `python -m bot`)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click

from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging
from channels.zalo.conversation import ROLES_ON_ZALO
from conversations import texts
from conversations.duties import CalendarDuties
from definitions.calendar import CalendarError, Event, EventKind, load_calendar
from definitions.forms import Form, FormError, load_form
from storage.db import Database, DatabaseUnavailable, NoDatabase, upgrade_database
from storage.imports import (
    ImportFileError,
    ImportSummary,
    import_people,
    import_units,
    parse_role,
    role_misfit,
)
from storage.invitations import create_invitation
from storage.models import DEFAULT_REPORT_KIND, OutboxStatus, ReportingPeriod, Role, RoundStatus
from storage.outbox import Delivery, Listed, Requeued, list_rows, requeue
from storage.people import find_member_by_name, get_unit_by_code
from storage.periods import OpenedRounds, PeriodCodeError, find_period, window
from storage.status import RoundStanding, period_standing

if TYPE_CHECKING:
    from report_templates.compose import ReportInput
    from report_templates.draft import KindBundle
    from report_templates.kinds import ReportKinds

T = TypeVar("T")


def _settings() -> Settings:
    context = click.get_current_context(silent=True)
    env_file = context.find_root().params.get("env_file") if context else None
    try:
        # pydantic-settings' own override of the env_file in model_config.
        settings = load_settings(_env_file=env_file) if env_file else load_settings()
    except ConfigError as exc:
        click.echo(f"Configuration error: {exc}", err=True)
        sys.exit(2)
    configure_logging(
        settings.baocao_log_level,
        secret=settings.token,
        also=[settings.zalo_token, settings.zalo_secret, settings.link_secret],
    )
    return settings


def _run(coroutine: Awaitable[T]) -> T:
    try:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    except NoDatabase as exc:
        click.echo(f"Database error: {exc}; run `baocao db upgrade` or set DATABASE_URL", err=True)
        sys.exit(2)
    except DatabaseUnavailable as exc:
        click.echo(f"Database error: {exc}", err=True)
        sys.exit(2)


PRIVATE_UMASK = 0o077


@click.group(invoke_without_command=True)
@click.option(
    "--env-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="BAOCAO_ENV_FILE",
    help="Read settings from this file instead of ./.env (also BAOCAO_ENV_FILE).",
)
@click.pass_context
def main(ctx: click.Context, env_file: Path | None) -> None:
    """Baocao: quarterly administrative-reform publicity reports over Telegram.

    With no command, runs the bot (or the local demo when no token is set).
    """
    # Opt in to PTB's coming behaviour (RetryAfter as a timedelta) instead of its deprecation
    # warning on every 429; bot.runner reads either form.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    # Everything this program writes (reports, compiled tables, the database) names people and
    # their phone numbers: files are the owner's alone (0600), folders too (0700).
    os.umask(PRIVATE_UMASK)
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@main.command()
def run() -> None:
    """Run the bot (on Telegram, Zalo or both); without either token, the local demo."""
    settings = _settings()
    if settings.token is None and settings.zalo_token is None:
        click.echo(
            "Neither TELEGRAM_BOT_TOKEN nor ZALO_BOT_TOKEN is set: running the local demo "
            "instead (set one in .env to run the real bot).",
            err=True,
        )
        _demo(settings, None)
        return
    from bot.runner import run_bot

    sys.exit(_run(run_bot(settings)))


@main.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the demo's files (default ./demo-output).",
)
@click.option(
    "--channel",
    type=click.Choice(["telegram", "zalo"]),
    default="telegram",
    show_default=True,
    help="zalo: the radio officer and the chairman use Zalo, the rest Telegram.",
)
def demo(out_dir: Path | None, channel: str) -> None:
    """Play the whole flow against local stand-ins of the Bot APIs and print the chat."""
    _demo(_settings(), out_dir, channel)


def _demo(settings: Settings, out_dir: Path | None, channel: str = "telegram") -> None:
    from bot.demo import run_demo
    from bot.demo_zalo import run_zalo_demo

    if "baocao_log_level" not in settings.model_fields_set:
        # The transcript is what a newcomer came to read; keep the bot's log to warnings
        # unless a level was asked for (in the environment or .env).
        configure_logging("WARNING")

    play = run_zalo_demo if channel == "zalo" else run_demo
    folder = _run(play(out_dir or Path("demo-output"), echo=click.echo))
    click.echo(f"\nThe demo's files are in {folder.resolve()}")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (the bot also does this on start)."""
    settings = _settings()
    _run(upgrade_database(settings.database_url))
    click.echo("Database is up to date.")


@main.group()
def units() -> None:
    """Administrative units and receiving offices."""


@units.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def units_import(file: Path) -> None:
    """Create or update units from a CSV or .xlsx file (code,name,kind,parent_code,office_code)."""
    _import(file, import_units, "units")


@main.group()
def people() -> None:
    """People and their roles."""


@people.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def people_import(file: Path) -> None:
    """Create or update people from a CSV or .xlsx file (unit_code,role,full_name,...)."""
    # Sections of every kind the bot runs: one person may answer a section of each.
    known = [
        section.code for kind in _kinds(_settings()).values() for section in kind.form.sections
    ]
    _import(file, functools.partial(import_people, known_sections=known), "people")


def _import(file: Path, importer: Callable[..., Awaitable[ImportSummary]], what: str) -> None:
    settings = _settings()

    async def go() -> ImportSummary:
        await upgrade_database(settings.database_url)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                return await importer(session=session, path=file)
        finally:
            await database.dispose()

    try:
        summary = _run(go())
    except ImportFileError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(
        f"Imported {what} from {file}: {summary.created} created, {summary.updated} updated, "
        f"{summary.unchanged} unchanged."
    )


def _form(settings: Settings) -> Form:
    try:
        return load_form(settings.baocao_form)
    except FormError as exc:
        click.echo(f"The questionnaire form is invalid:\n{exc}", err=True)
        sys.exit(2)


@main.group()
def form() -> None:
    """The questionnaire form (YAML)."""


@form.command("check")
@click.argument("file", type=click.Path(path_type=Path), required=False)
def form_check(file: Path | None) -> None:
    """Validate a form file (default: BAOCAO_FORM, else the packaged form) and summarise it."""
    settings = _settings()
    if file is not None:
        settings = settings.model_copy(update={"baocao_form": file})
    checked = _form(settings)
    click.echo(
        f"{checked.form} version {checked.version}: {len(checked.sections)} sections, "
        f"{len(checked.questions)} questions."
    )
    for section in checked.sections:
        roles = ", ".join(section.answered_by)
        click.echo(
            f"  {section.code}: {section.title} ({len(section.questions)} questions; {roles})"
        )


def _bundle(where: str | Path) -> KindBundle:
    """A report kind: a shipped one by its code ("tthc"), or a folder. Exit 2 with the file and
    line of what is wrong."""
    import report_kinds
    from report_templates.compose import TemplateError
    from report_templates.docx_writer import LayoutError
    from report_templates.draft import BundleError, load_bundle

    folder = report_kinds.packaged().get(str(where)) or Path(where)
    if not (folder / "kind.yaml").is_file():
        known = ", ".join(report_kinds.packaged())
        raise click.ClickException(
            f"{where}: not a report kind's folder or code (shipped: {known})"
        )
    try:
        return load_bundle(folder)
    except (BundleError, FormError, CalendarError, TemplateError, LayoutError) as exc:
        click.echo(f"The report kind in {folder} is invalid:\n{exc}", err=True)
        sys.exit(2)


@main.command("kinds")
def kinds() -> None:
    """The report kinds this bot runs (BAOCAO_REPORT_KINDS), then those shipped and not run:
    code, short name, name and folder."""
    import report_kinds

    running = _kinds(_settings())
    for bundle in running.values():
        click.echo(f"{bundle.code}  {bundle.short_name}: {bundle.name} ({bundle.folder})")
    others = [folder for code, folder in report_kinds.packaged().items() if code not in running]
    if others:
        click.echo("Shipped, not in BAOCAO_REPORT_KINDS:")
        for folder in others:
            bundle = _bundle(folder)
            click.echo(f"  {bundle.code}  {bundle.short_name}: {bundle.name} ({folder})")


def _kinds(settings: Settings) -> ReportKinds:
    """The kinds the settings name; exit 2 with the file and line of what is wrong."""
    from bot.kinds import KIND_ERRORS, deployment_kinds

    try:
        return deployment_kinds(settings)
    except KIND_ERRORS as exc:
        click.echo(f"A report kind in BAOCAO_REPORT_KINDS is invalid:\n{exc}", err=True)
        sys.exit(2)


def _kind_of(settings: Settings, code: str | None) -> tuple[ReportKinds, KindBundle]:
    """The deployment's kinds and the one `--kind` names (the default one without it)."""
    running = _kinds(settings)
    if code is None:
        return running, running.default
    if code not in running:
        raise click.BadParameter(
            f"{code!r} is not a report kind this bot runs ({', '.join(running)}); see baocao kinds",
            param_hint="--kind",
        )
    return running, running[code]


KIND_OPTION = click.option(
    "--kind",
    "kind_code",
    help="The report kind's code (baocao kinds); default the CCHC report.",
)


@main.group("kind")
def kind_group() -> None:
    """A report kind's folder (kind.yaml, form, calendar, template, annex, layout)."""


@kind_group.command("check")
@click.argument("folder", type=click.Path(path_type=Path))
def kind_check(folder: Path) -> None:
    """Validate a report kind's folder, as a province's copy or a new kind: kind.yaml and every
    file it names; errors name the file and line."""
    bundle = _bundle(folder)
    form = bundle.form
    click.echo(
        f"{bundle.code} ({bundle.short_name}): {bundle.name}; {bundle.symbol}, files "
        f"{bundle.file_prefix}_...; form {form.form} version {form.version}: "
        f"{len(form.sections)} sections, {len(form.questions)} questions."
    )
    click.echo("The form, calendar, template, annex and layout load, and the template renders.")


@main.command()
@click.option(
    "--kind",
    "kind_name",
    help="A report kind's code (baocao kinds) or folder; default the CCHC report.",
)
@click.option(
    "--answers",
    "answers_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file of answers (format in the README).",
)
@click.option("--unit", "unit_code", help="Or: a commune's stored round, with --period.")
@click.option("--period", "period_code", help="The period of that round, e.g. 2026-Q4.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (default BAOCAO_OUTPUT_DIR).",
)
def draft(
    kind_name: str | None,
    answers_file: Path | None,
    unit_code: str | None,
    period_code: str | None,
    out_dir: Path | None,
) -> None:
    """Render a draft report (.docx, chat preview, .pdf with LibreOffice) from a file of answers
    or from a commune's stored round."""
    if (answers_file is None) == (unit_code is None) or (unit_code is None) != (
        period_code is None
    ):
        raise click.UsageError("give either --answers FILE, or --unit CODE and --period CODE")
    settings = _settings()
    out_dir = _output_folder(settings, out_dir)
    bundle = _bundle(kind_name) if kind_name is not None else None
    form = bundle.form if bundle is not None else _form(settings)
    from report_templates.compose import TemplateError
    from report_templates.docx_writer import LayoutError
    from report_templates.draft import (
        DraftInputError,
        load_report_files,
        read_answers_file,
        render_draft,
    )

    try:
        if bundle is not None:
            templates, layout = bundle.templates, bundle.layout
        else:
            templates, layout = load_report_files(settings.baocao_templates_dir)
        if answers_file is not None:
            # The calendar's deadline dates a past period's draft (its holidays counted).
            calendar = (
                bundle.calendar if bundle is not None else load_calendar(settings.baocao_calendar)
            )
            report = read_answers_file(answers_file, form, calendar=calendar)
            stem = answers_file.stem
        else:
            assert unit_code is not None and period_code is not None
            report = _run(
                _stored_report(
                    settings,
                    unit_code,
                    period_code,
                    form,
                    bundle.code if bundle is not None else DEFAULT_REPORT_KIND,
                )
            )
            stem = f"{unit_code}_{period_code}"
        files = render_draft(report, out_dir, stem=stem, templates=templates, layout=layout)
    except (DraftInputError, TemplateError, LayoutError, CalendarError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Draft: {files.docx}")
    click.echo(f"Chat preview: {files.preview}")
    click.echo(f"PDF: {files.pdf}" if files.pdf else "PDF: not made (LibreOffice is not installed)")


async def _stored_report(
    settings: Settings, unit_code: str, period_code: str, form: Form, report_kind: str
) -> ReportInput:
    from report_templates.from_round import report_input_for_round
    from storage.questionnaire import round_of_unit

    await upgrade_database(settings.database_url, create=False)
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            round_id = await round_of_unit(
                session=session, unit_code=unit_code, period=period_code, report_kind=report_kind
            )
            if round_id is None:
                raise click.ClickException(f"no {period_code} round for unit {unit_code!r}")
            return await report_input_for_round(session=session, round_id=round_id, form=form)
    finally:
        await database.dispose()


@main.group("round")
def round_() -> None:
    """Reporting rounds (one per commune and period)."""


@round_.command("open")
@click.option("--period", "period_code", required=True, help="2026-Q4, 2026-H1 or 2026-Y.")
@click.option("--unit", "unit_codes", multiple=True, help="Only this commune (repeatable).")
@KIND_OPTION
def round_open(period_code: str, unit_codes: tuple[str, ...], kind_code: str | None) -> None:
    """Open a period's round for every commune (or the named ones) now, and ask the officers.

    The prompts go into the outbox; the running bot sends them (the calendar does all this by
    itself on the opening day).
    """
    settings = _settings()
    duties = _duties(settings, kind_code)

    async def go() -> tuple[OpenedRounds, int]:
        await upgrade_database(settings.database_url, create=False)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                opened = await duties.open(session, period_code, unit_codes)
                prompted = await duties.ask(
                    session, Event(EventKind.OPEN, opened.period.code, datetime.now(UTC), 0)
                )
                return opened, prompted
        finally:
            await database.dispose()

    try:
        result, prompted = _run(go())
    except (PeriodCodeError, LookupError) as exc:
        raise click.ClickException(str(exc)) from None
    period = result.period
    click.echo(
        f"Period {period.code} ({duties.questionnaire.kind_name(duties.report_kind)}): "
        f"figures {period.starts_on:%d/%m/%Y}-{period.closes_on:%d/%m/%Y}, "
        f"deadline {period.deadline_on:%d/%m/%Y}. Opened {len(result.opened)} round(s); "
        f"{len(result.already_open)} already open. {prompted} prompt(s) queued."
    )


@round_.command("status")
@click.option("--period", "period_code", required=True, help="2026-Q4, 2026-H1 or 2026-Y.")
@KIND_OPTION
def round_status(period_code: str, kind_code: str | None) -> None:
    """Per commune: sections handed in, approved, delivered, late."""
    settings = _settings()
    _, kind = _kind_of(settings, kind_code)
    form = kind.form

    async def go() -> tuple[ReportingPeriod | None, list[RoundStanding]]:
        await upgrade_database(settings.database_url, create=False)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                return await period_standing(
                    session=session,
                    code=window(period_code).code,
                    today=datetime.now(settings.timezone).date(),
                    zone=settings.timezone,
                    report_kind=kind.code,
                )
        finally:
            await database.dispose()

    try:
        period, rows = _run(go())
    except PeriodCodeError as exc:
        raise click.ClickException(str(exc)) from None
    if period is None:
        raise click.ClickException(f"{period_code} has not been opened (baocao round open)")
    deadline = f"{period.deadline_on:%d/%m/%Y}" if period.deadline_on else "-"
    click.echo(f"Period {period.code} ({kind.short_name}), deadline {deadline}")
    header = ("code", "commune", "status", "submitted", "approved", "number", "delivered", "late")
    table = [header]
    for row in rows:
        table.append(
            (
                row.unit_code,
                row.unit_name,
                row.status.value,
                f"{row.sections_submitted}/{len(form.asked_in(period.kind))}",
                f"{row.approved_on:%d/%m/%Y}" if row.approved_on else "-",
                row.number or "-",
                _delivered_cell(row),
                "late" if row.late else "",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(header))]
    for line in table:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    delivered = sum(1 for row in rows if row.status is RoundStatus.DELIVERED)
    waiting = sum(1 for row in rows if row.delivery is Delivery.WAITING)
    failed = sum(1 for row in rows if row.delivery is Delivery.FAILED)
    late = sum(1 for row in rows if row.late)
    troubles = (f", {waiting} waiting to be sent" if waiting else "") + (
        f", {failed} failed to send (baocao outbox list)" if failed else ""
    )
    click.echo(f"{len(rows)} communes: {delivered} delivered{troubles}, {late} late.")


def _delivered_cell(row: RoundStanding) -> str:
    """The day the office got the report; else whether it is on its way or failed."""
    if row.delivered_on is not None:
        return f"{row.delivered_on:%d/%m/%Y}"
    if row.delivery is Delivery.WAITING:
        return "waiting"
    if row.delivery is Delivery.FAILED:
        return "failed"
    return "-"


@main.group()
def outbox() -> None:
    """Messages the bot sends for others (reports, drafts, reminders): list and resend."""


LISTED_STATUSES: dict[str, tuple[OutboxStatus, ...]] = {
    "failed": (OutboxStatus.FAILED,),
    "blocked": (OutboxStatus.BLOCKED,),
    "pending": (OutboxStatus.PENDING, OutboxStatus.SENDING),
    "all": tuple(OutboxStatus),
}


@outbox.command("list")
@click.option(
    "--status",
    "which",
    type=click.Choice(list(LISTED_STATUSES)),
    default="failed",
    show_default=True,
    help="failed: refused for good; blocked: the chat refuses the bot (403); pending: queued, "
    "being sent or retrying; all: also the sent ones.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
def outbox_list(which: str, limit: int) -> None:
    """Show messages by status, newest last, with their id, recipient and last error."""
    settings = _settings()

    async def go() -> tuple[list[Listed], int]:
        await upgrade_database(settings.database_url, create=False)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                return await list_rows(
                    session=session, statuses=LISTED_STATUSES[which], limit=limit
                )
        finally:
            await database.dispose()

    rows, total = _run(go())
    if not rows:
        click.echo(f"No {which} messages." if which != "all" else "The outbox is empty.")
        return
    zone = settings.timezone
    table = [("id", "status", "tries", "queued", "purpose", "to", "last error")]
    for row in rows:
        table.append(
            (
                str(row.id),
                row.status.value,
                str(row.attempts),
                f"{row.created_at.astimezone(zone):%d/%m %H:%M}",
                row.purpose,
                row.to,
                row.last_error or "",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for line in table:
        click.echo(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
    shown = f"the newest {len(rows)} of " if total > len(rows) else ""
    click.echo(f"{shown}{total} {which} message(s).")
    if which in ("failed", "blocked"):
        click.echo("Resend with: baocao outbox retry ID ... (or --all-failed)", err=True)


@outbox.command("retry")
@click.argument("row_ids", metavar="[ID]...", nargs=-1, type=int)
@click.option("--all-failed", is_flag=True, help="Every failed message (not blocked ones).")
def outbox_retry(row_ids: tuple[int, ...], all_failed: bool) -> None:
    """Put failed or blocked messages back in the queue; the running bot sends them at once.

    Fix the cause first (the office re-registered its group, the person unblocked the bot):
    Telegram refuses the same message to the same chat again. A message already sent is never
    resent.
    """
    if not row_ids and not all_failed:
        raise click.UsageError("give the id of a message (baocao outbox list), or --all-failed")
    settings = _settings()

    async def go() -> Requeued:
        await upgrade_database(settings.database_url, create=False)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                return await requeue(session=session, row_ids=row_ids, all_failed=all_failed)
        finally:
            await database.dispose()

    result = _run(go())
    for row_id, why in sorted(result.refused.items()):
        click.echo(f"Message {row_id}: {why}.", err=True)
    ids = ", ".join(str(row_id) for row_id in result.requeued)
    click.echo(f"Requeued {len(result.requeued)} message(s){': ' + ids if ids else ''}.")
    if result.refused and not result.requeued:
        sys.exit(1)


@main.command("compile")
@click.option("--period", "period_code", required=True, help="2026-Q4, 2026-H1 or 2026-Y.")
@click.option("--office", "office_code", required=True, help="Code of the receiving office.")
@KIND_OPTION
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the files (default BAOCAO_OUTPUT_DIR).",
)
def compile_(
    period_code: str, office_code: str, out_dir: Path | None, kind_code: str | None
) -> None:
    """The office's compiled files for a period: the .xlsx of every commune's figures (with
    completeness and narrative sheets), the draft summary .docx, and a .zip of the approved
    reports."""
    from bot.app import make_office_desk, make_questionnaire
    from storage.compilation import UnknownOffice, find_office

    settings = _settings()
    folder = _output_folder(settings, out_dir)
    running, kind = _kind_of(settings, kind_code)
    try:
        code = window(period_code).code
    except PeriodCodeError as exc:
        raise click.ClickException(str(exc)) from None
    desk = make_office_desk(settings, running, make_questionnaire(settings, running))

    async def go() -> tuple[dict[str, Path], str]:
        await upgrade_database(settings.database_url, create=False)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                office = await find_office(session, office_code)
                if await find_period(session=session, code=code) is None:
                    # Otherwise every commune would be counted late for a round never asked.
                    raise click.ClickException(f"{code} has not been opened (baocao round open)")
                zip_temporary = folder / f".{kind.code}_{code}_{office.code}.zip.part"
                try:
                    with zip_temporary.open("wb") as zip_out:
                        built = await desk.build(
                            session,
                            office,
                            code,
                            now=datetime.now(UTC),
                            zip_out=zip_out,
                            report_kind=kind.code,
                        )
                    paths = {part: folder / name for part, name in built.names.items()}
                    paths["xlsx"].write_bytes(built.xlsx)
                    paths["docx"].write_bytes(built.docx)
                    zip_temporary.replace(paths["zip"])
                finally:
                    zip_temporary.unlink(missing_ok=True)
                c = built.compilation
                summary = (
                    f"{office.name}, {kind.short_name} {code}: {c.expected} communes expected, "
                    f"{c.submitted} "
                    f"submitted, {c.approved} approved ({c.on_time} on time, {c.late} late), "
                    f"{c.expected - c.approved} not reported; {built.reports_zipped} report(s) "
                    "in the .zip."
                )
                return paths, summary
        finally:
            await database.dispose()

    try:
        paths, summary = _run(go())
    except UnknownOffice as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(summary)
    for path in paths.values():
        click.echo(f"Wrote {path}")


def _output_folder(settings: Settings, out_dir: Path | None) -> Path:
    """`--out`, else BAOCAO_OUTPUT_DIR: made if missing and checked writable before any work,
    so a wrong path stops the command at once with one line."""
    folder = out_dir or settings.baocao_output_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        named = "--out" if out_dir else "BAOCAO_OUTPUT_DIR"
        click.echo(
            f"Configuration error: {named}: cannot write to {folder} ({exc.strerror or exc})",
            err=True,
        )
        sys.exit(2)
    return folder


def _duties(settings: Settings, kind_code: str | None) -> CalendarDuties:
    """The calendar duties of the report kind `--kind` names."""
    from bot.app import make_office_desk, make_questionnaire

    running, kind = _kind_of(settings, kind_code)
    return make_office_desk(settings, running, make_questionnaire(settings, running)).duties[
        kind.code
    ]


class RoleName(click.ParamType):
    """A role written as the people file may write it: `chairman`, `chủ tịch`, `chu tich`."""

    name = "role"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Role:
        if isinstance(value, Role):
            return value
        role = parse_role(str(value))
        if role is None:
            allowed = ", ".join(role.value for role in Role)
            self.fail(f"unknown role {value!r} (use one of: {allowed})", param, ctx)
        return role


@main.command()
@click.option("--unit", "unit_code", required=True, help="Code of the unit (commune or office).")
@click.option(
    "--role",
    required=True,
    type=RoleName(),
    help="The role the person will have in that unit, in English or Vietnamese "
    "(officer/cán bộ, chairman/chủ tịch, vice_chairman, clerk, office, admin).",
)
@click.option("--expires", "days", default=14, show_default=True, type=click.IntRange(1, 365))
@click.option("--person", "person_name", default=None, help="Bind to this imported person.")
@click.option(
    "--channel",
    type=click.Choice(["telegram", "zalo"]),
    default="telegram",
    show_default=True,
    help="Where the person registers: a t.me link, or a code to send the Zalo bot.",
)
def invite(unit_code: str, role: Role, days: int, person_name: str | None, channel: str) -> None:
    """Print a single-use registration link (https://t.me/<bot>?start=<code>), or with
    --channel zalo the code and the message to forward to the person."""
    settings = _settings()
    if channel == "zalo" and role not in ROLES_ON_ZALO:
        raise click.ClickException(
            "Zalo serves officers, approvers, clerks and offices; invite this role on Telegram"
        )
    username = _bot_username(settings) if channel == "telegram" else ""

    async def go() -> str:
        await upgrade_database(settings.database_url, create=False)
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                unit = await get_unit_by_code(session=session, code=unit_code)
                if unit is None:
                    raise click.ClickException(f"no unit with code {unit_code!r}")
                misfit = role_misfit(role, unit)
                if misfit is not None:
                    raise click.ClickException(misfit)
                person = None
                if person_name is not None:
                    person = await find_member_by_name(
                        session=session, unit_id=unit.id, role=role, name=person_name
                    )
                    if person is None:
                        raise click.ClickException(
                            f"no single imported person named {person_name!r} "
                            "with that role in that unit"
                        )
                code, _ = await create_invitation(
                    session=session,
                    unit=unit,
                    role=role,
                    person=person,
                    valid_for=timedelta(days=days),
                )
                return code
        finally:
            await database.dispose()

    code = _run(go())
    if channel == "zalo":
        click.echo(code)
        click.echo(f"Message to forward to the person:\n{texts.zalo_invitation(code=code)}")
        click.echo(f"Single use; expires in {days} days.", err=True)
        return
    click.echo(f"https://t.me/{username}?start={code}")
    if role is Role.OFFICE:
        click.echo(f"For a group chat: https://t.me/{username}?startgroup={code}")
    click.echo(f"Single use; expires in {days} days.", err=True)


def _bot_username(settings: Settings) -> str:
    """The bot's @username: from settings, else by asking the Bot API (getMe)."""
    if settings.telegram_bot_username:
        return settings.telegram_bot_username.lstrip("@")
    if settings.token is None:
        raise click.ClickException(
            "set TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_USERNAME) so the link can name the bot"
        )
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    async def ask() -> str:
        bot = Bot(
            settings.token or "",
            base_url=settings.bot_base_url,
            base_file_url=settings.bot_file_base_url,
        )
        async with bot:
            return bot.username

    try:
        return _run(ask())
    except InvalidToken:
        raise click.ClickException("the Bot API rejected TELEGRAM_BOT_TOKEN") from None
    except NetworkError as exc:
        raise click.ClickException(
            f"cannot reach the Bot API at {settings.telegram_api_url} to learn the bot's name "
            f"({type(exc).__name__}); set TELEGRAM_BOT_USERNAME instead"
        ) from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=click.IntRange(0, 65535))
def standin(host: str, port: int) -> None:
    """Run the local stand-in of the Telegram Bot API until Ctrl+C, to try the bot without
    Telegram: it prints the TELEGRAM_API_URL and the token to run `baocao` with."""
    from bot_api_standin.standalone import serve

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(host=host, port=port))
