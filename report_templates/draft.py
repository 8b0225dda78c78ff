"""Render a draft report to files: .docx always, a chat preview, and .pdf where LibreOffice is.

`baocao draft --answers FILE.json --out DIR` reads answers from a file (format in the README), so
a province can preview its templates, and tests can render without a database or Telegram. PDFs
come from `report_templates.pdf`, which keeps one LibreOffice warm for the whole process.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from definitions.calendar import Calendar, load_calendar
from definitions.forms import Form, Question, load_form, read_yaml, yaml_line_of
from definitions.values import ParseError, parse_answer
from report_templates.compiled import KindNames
from report_templates.compose import (
    ReportInput,
    TemplateSet,
    compose,
    default_templates,
    draft_date_for,
    load_templates,
)
from report_templates.docx_writer import Layout, load_layout, write_docx
from report_templates.pdf import default_converter, office_program
from report_templates.preview import preview_messages
from storage.models import COMMUNE_LEVEL_KINDS
from storage.periods import MAX_YEAR, MIN_YEAR, PeriodCodeError, PeriodWindow, window
from storage.units import MAX_RECIPIENT_LENGTH, MAX_RECIPIENTS, overlong, split_recipients
from wording.folding import fold
from wording.units import KIND_LABELS

logger = logging.getLogger(__name__)

SIGNER_ROLES = ("chairman", "vice_chairman")
FILE_KEYS = (
    "unit",
    "period",
    "signer",
    "receiving_office",
    "number",
    "issued_on",
    "draft_month",
    "recipients",
    "annex",
    "answers",
    "previous",
)
UNIT_KEYS = ("name", "kind", "place")
SIGNER_KEYS = ("name", "role")
DEFAULT_KIND = "xã"
MAX_NUMBER = 9999  # numbers restart at 01 each year (Decree 30); the clerk's limit in chat
_NUMBER = re.compile(r"\d{1,4}")
_MONTH = re.compile(r"(\d{1,2})/(\d{4})")
_pdf_unavailable_said = False


class DraftInputError(ValueError):
    """The answers file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class DraftFiles:
    docx: Path
    preview: Path
    pdf: Path | None


def load_report_files(folder: Path | None = None) -> tuple[TemplateSet, Layout]:
    """The text template, annex rules and layout: a province's folder, else the packaged ones.

    A folder needs bao_cao_cchc.j2 and annex.yaml; its layout.yaml is optional. Errors name the
    file and line (TemplateError, LayoutError).
    """
    if folder is None:
        return default_templates(), load_layout()
    layout_file = folder / "layout.yaml"
    layout = load_layout(layout_file) if layout_file.exists() else load_layout()
    return load_templates(folder), layout


KIND_FILE = "kind.yaml"
KIND_CODE = re.compile(r"[a-z0-9_-]{1,32}")
KIND_KEYS = ("code", "name", "short_name", "symbol", "file_prefix", "receiver", "files")
KIND_FILES = ("form", "calendar", "template", "annex", "layout")


class BundleError(ValueError):
    """A report kind's folder cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class KindBundle:
    """A report kind's folder (report_kinds/<code>/): what it is called and the files that ask,
    schedule and draft it, each loaded and checked."""

    folder: Path
    code: str  # "tthc"
    name: str  # the subject of the title line: "tình hình, kết quả giải quyết thủ tục hành chính"
    short_name: str  # "TTHC"
    symbol: str  # "BC-UBND"
    file_prefix: str  # "BC-TTHC"
    receiver: str  # the default first line of "Nơi nhận"
    form: Form
    calendar: Calendar
    templates: TemplateSet
    layout: Layout

    @property
    def names(self) -> KindNames:
        return KindNames(
            subject=self.name, short_name=self.short_name, file_prefix=self.file_prefix
        )


def load_bundle(folder: Path) -> KindBundle:
    """Load a report kind's folder: `kind.yaml` and the form, calendar, template, annex and
    layout it names (relative to the folder). Raises BundleError, FormError, CalendarError,
    TemplateError or LayoutError naming the file and line."""
    folder = folder.resolve()
    path = folder / KIND_FILE
    try:
        root, data = read_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path}:1: cannot read the kind file ({exc})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise BundleError(f"{path}:{mark.line + 1 if mark else 1}: not valid YAML") from exc

    def problem(where: tuple[str, ...], message: str) -> BundleError:
        return BundleError(f"{path}:{yaml_line_of(root, where)}: {'.'.join(where)}: {message}")

    if not isinstance(data, dict):
        raise BundleError(f"{path}:1: a kind file is a mapping with {', '.join(KIND_KEYS)}")
    for key in data:
        if key not in KIND_KEYS:
            raise problem((str(key),), f"unknown key (use {', '.join(KIND_KEYS)})")
    texts: dict[str, str] = {}
    for key in KIND_KEYS[:-1]:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise problem((key,), "required, a text")
        texts[key] = value.strip()
    if not KIND_CODE.fullmatch(texts["code"]):
        # People type it after /baocao and /tiendo, buttons and the database carry it.
        raise problem(("code",), "1 to 32 lowercase letters, digits, - or _, such as tthc")
    files = data.get("files")
    if not isinstance(files, dict):
        raise problem(("files",), f"a mapping of {', '.join(KIND_FILES)} to file names")
    named: dict[str, Path] = {}
    for key, name in files.items():
        if key not in KIND_FILES:
            raise problem(("files", str(key)), f"unknown file (use {', '.join(KIND_FILES)})")
        if not isinstance(name, str) or "/" in name or "\\" in name or name.startswith("."):
            raise problem(("files", key), "a file name in the kind's folder")
        named[key] = folder / name
    for key in KIND_FILES[:-1]:  # the layout may be left to the packaged one
        if key not in named:
            raise problem(("files",), f"{key} is missing")
    form = load_form(named["form"])
    templates = load_templates(
        folder,
        form=form,
        template_file=named["template"].name,
        annex_file=named["annex"].name,
        subject=texts["name"],
        symbol=texts["symbol"],
    )
    return KindBundle(
        folder=folder,
        code=texts["code"],
        name=texts["name"],
        short_name=texts["short_name"],
        symbol=texts["symbol"],
        file_prefix=texts["file_prefix"],
        receiver=texts["receiver"],
        form=form,
        calendar=load_calendar(named["calendar"]),
        templates=templates,
        layout=load_layout(named.get("layout")),
    )


def read_answers_file(
    path: Path, form: Form, *, calendar: Calendar | None = None, today: date | None = None
) -> ReportInput:
    """A ReportInput from a JSON (or, named .yaml/.yml, YAML) answers file; answers may be
    typed as an officer would.

    The file goes through every check the chat makes (each answer read as typed, ceilings,
    cross-field rules, skipped required questions, answers to questions the other answers make
    irrelevant) and its own keys are checked too; all problems come in one DraftInputError, one
    line each, "<file>: <key>: <problem>". A draft is dated today, or the period's deadline once
    it has passed (`calendar` gives the deadline; the default offsets without one), unless the
    file gives `draft_month`.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")  # Notepad and Excel add a BOM
        # A kind's sample answers are YAML, which carries comments.
        yaml_file = path.suffix.lower() in (".yaml", ".yml")
        data = read_yaml(text)[1] if yaml_file else json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise DraftInputError(f"{path}: cannot read the file ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise DraftInputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or exc
        raise DraftInputError(f"{path}:{line}: not valid YAML ({problem})") from exc
    if not isinstance(data, dict):
        raise DraftInputError(f"{path}: the file must hold one JSON object")
    problems = _Problems(path)
    problems.unknown_keys("", data, FILE_KEYS)

    unit = problems.object(data, "unit", UNIT_KEYS)
    unit_name = problems.text(unit, "name", "unit.")
    kind = _unit_kind(problems, (unit or {}).get("kind", DEFAULT_KIND))
    place = (unit or {}).get("place", "")
    if not isinstance(place, str):
        problems.add("unit.place", "write the place name as text")
        place = ""
    signer = problems.object(data, "signer", SIGNER_KEYS)
    signer_name = problems.text(signer, "name", "signer.")
    role = (signer or {}).get("role", "chairman")
    if role not in SIGNER_ROLES:
        problems.add("signer.role", f"use {' or '.join(SIGNER_ROLES)}")
        role = "chairman"
    receiving_office = problems.text(data, "receiving_office")

    period: PeriodWindow | None = None
    if code := problems.text(data, "period"):
        try:  # the calendar's deadline skips its holidays; without one, weekends only
            period = calendar.period(code) if calendar is not None else window(code)
        except PeriodCodeError as exc:
            problems.add("period", str(exc))
    number = _number(problems, data.get("number"))
    issued_on = _issued_on(problems, data.get("issued_on"))
    draft_month = _draft_month(problems, data.get("draft_month"))
    if draft_month is not None and issued_on is not None:
        problems.add("draft_month", "a dated report (issued_on) prints its own month; give one")
    recipients = _recipients(problems, data.get("recipients"))
    with_annex = data.get("annex")
    if with_annex is not None and not isinstance(with_annex, bool):
        problems.add("annex", "write true or false")
        with_annex = None
    answers = _answers(problems, "answers", data.get("answers", {}), form)
    previous = _answers(problems, "previous", data.get("previous") or {}, form)

    problems.raise_if_any()
    assert period is not None
    return ReportInput(
        unit_kind_label=kind,
        unit_name=unit_name,
        place=place,
        period_kind=period.kind.value,
        period_year=period.year,
        period_number=period.number,
        answers=answers,
        previous=previous or None,
        signer_name=signer_name,
        signer_role=role,
        receiving_office=receiving_office,
        number=number,
        issued_on=issued_on,
        draft_date=draft_month or draft_date_for(period.deadline_on, today),
        recipients=recipients,
        with_annex=with_annex,
    )


class _Problems:
    """The problems of one answers file, collected to be told all at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, key: str, problem: str) -> None:
        self.lines.append(f"{self.path}: {key}: {problem}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise DraftInputError("\n".join(self.lines))

    def unknown_keys(self, where: str, data: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in data:
            if key not in known and not str(key).startswith("_"):  # "_source": a note, kept out
                self.add(f"{where}{key}", f"not a key of the answers file (use {', '.join(known)})")

    def object(
        self, data: Mapping[str, Any], key: str, known: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """The object under `key`; None (and told) when it is missing or not an object."""
        value = data.get(key)
        if value is None:
            self.add(key, "required")
            return None
        if not isinstance(value, dict):
            self.add(key, f'an object such as {{"name": ...}} (keys: {", ".join(known)})')
            return None
        self.unknown_keys(f"{key}.", value, known)
        return value

    def text(self, data: Mapping[str, Any] | None, key: str, where: str = "") -> str:
        """A required text; "" when missing (told, unless its object was already told)."""
        if data is None:
            return ""
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(f"{where}{key}", "required")
            return ""
        if not isinstance(value, str):
            self.add(f"{where}{key}", "write it as text, in quotes")
            return ""
        return value.strip()


def _unit_kind(problems: _Problems, value: Any) -> str:
    """The kind's word as the report prints it ("xã", "phường", ...), from any spelling the
    units file accepts; only a commune-level unit writes this report."""
    if isinstance(value, str):
        folded = fold(value)
        for kind in COMMUNE_LEVEL_KINDS:
            if folded in (fold(KIND_LABELS[kind]), fold(kind.value.replace("_", " "))):
                return KIND_LABELS[kind]
    known = ", ".join(sorted(KIND_LABELS[kind] for kind in COMMUNE_LEVEL_KINDS))
    problems.add("unit.kind", f"{value!r} is not a commune-level kind (use one of: {known})")
    return DEFAULT_KIND


def _number(problems: _Problems, value: Any) -> str | None:
    """The document number as the clerk gives it ("134"); None for a draft."""
    if value is None or value == "":
        return None
    text = "" if isinstance(value, bool) or not isinstance(value, str | int) else str(value)
    text = text.strip()
    if not _NUMBER.fullmatch(text) or not 1 <= int(text) <= MAX_NUMBER:
        problems.add("number", f'the number alone, 1 to {MAX_NUMBER}, such as "134"')
        return None
    return text


def _issued_on(problems: _Problems, value: Any) -> date | None:
    if value is None or value == "":
        return None
    try:
        return datetime.strptime(str(value), "%d/%m/%Y").date()
    except ValueError:
        problems.add("issued_on", "a real date written dd/mm/yyyy, such as 14/06/2024")
        return None


def _draft_month(problems: _Problems, value: Any) -> date | None:
    """`"draft_month": "09/2025"`: the month a draft prints, instead of the rule's."""
    if value is None or value == "":
        return None
    match = _MONTH.fullmatch(str(value).strip())
    if match is None or not 1 <= int(match[1]) <= 12 or not MIN_YEAR <= int(match[2]) <= MAX_YEAR:
        problems.add("draft_month", "a month written mm/yyyy, such as 09/2025")
        return None
    return date(int(match[2]), int(match[1]), 1)


def _recipients(problems: _Problems, value: Any) -> tuple[str, ...]:
    """ "Nơi nhận" as the unit would set it: a list of lines, or one text split at ";" or lines."""
    if value is None:
        return ()
    if isinstance(value, str):
        lines = split_recipients(value)
    elif isinstance(value, list) and all(isinstance(line, str) for line in value):
        lines = [line for text in value for line in split_recipients(text)]
    else:
        problems.add("recipients", 'a list of texts, such as ["Sở Nội vụ tỉnh ...", "Lưu: VT"]')
        return ()
    if len(lines) > MAX_RECIPIENTS:
        problems.add("recipients", f"{len(lines)} recipients; at most {MAX_RECIPIENTS}")
    for line in overlong(lines):
        problems.add(f"recipients.{line}", f"longer than {MAX_RECIPIENT_LENGTH} characters")
    return tuple(lines)


def _answers(problems: _Problems, key: str, raw: Any, form: Form) -> dict[str, Any]:
    """The stored values of a period's answers, after the checks the chat makes; problems are
    told in the file's order."""
    if not isinstance(raw, dict):
        problems.add(key, "an object of question code -> answer")
        return {}
    answers: dict[str, Any] = {}
    found: dict[str, str] = {}
    for code, value in raw.items():
        question = form.questions.get(code)
        if question is None:
            found[code] = "no such question in the form"
            continue
        try:
            answers[code] = _stored(question, value)
        except ParseError as exc:
            found[code] = exc.message
    for code, value in answers.items():
        question = form.questions[code]
        if value is not None and not form.is_relevant(question, answers):
            found.setdefault(code, _not_asked(form, question, answers))
            continue
        problem = form.problem_with(code, value, answers)
        if problem is None:
            continue
        # A broken rule is found from both of its answers: it is told once, at the question
        # whose rule it is ("digital items" exceed all items, not the other way round).
        owners = [
            owner.code for owner, rule in form.rules_involving(code) if rule.message == problem
        ]
        found.setdefault(owners[0] if owners else code, problem)
    for code in raw:
        if code in found:
            problems.add(f"{key}.{code}", found[code])
    return answers


def _stored(question: Question, value: Any) -> Any:
    """An answer as stored: text is read as the chat reads what an officer types, and so is a
    JSON number or true/false (as "6", "có"); null is a skip; an object or a list (a document
    reference, several choices) is already a stored value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return parse_answer(question, "có" if value else "không")
    if isinstance(value, int | float):
        if isinstance(value, float) and not value.is_integer():
            return parse_answer(question, repr(value).replace(".", ","))  # a decimal comma
        return parse_answer(question, str(int(value)))
    if isinstance(value, str):
        return parse_answer(question, value)
    return value


def _not_asked(form: Form, question: Question, answers: Mapping[str, Any]) -> str:
    """Why a question the file answers is not asked: the first condition up its chain that
    the other answers do not meet."""
    condition = question.relevant
    assert condition is not None
    source = form.questions[condition.answer]
    if not form.is_relevant(source, answers):
        return _not_asked(form, source, answers)
    wanted = (
        f"is {condition.equals!r}"
        if condition.equals is not None
        else f"is not {condition.not_equals!r}"
        if condition.not_equals is not None
        else f"is more than {condition.greater_than:g}"
    )
    given = answers.get(source.code)
    found = "not given" if given is None else repr(given)
    return (
        f"the form asks this only when {source.code} {wanted} ({source.code} here: {found}); "
        "leave it out"
    )


def render_draft(
    report: ReportInput,
    out_dir: Path,
    *,
    stem: str,
    templates: TemplateSet | None = None,
    layout: Layout | None = None,
    pdf: bool = True,
) -> DraftFiles:
    """Write `<stem>.docx`, `<stem>.preview.txt` and, if LibreOffice is installed, `<stem>.pdf`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    document = compose(report, templates=templates or default_templates())
    docx = write_docx(document, out_dir / f"{stem}.docx", layout=layout or load_layout())
    preview = out_dir / f"{stem}.preview.txt"
    preview.write_text("\n\n=====\n\n".join(preview_messages(document)) + "\n", encoding="utf-8")
    return DraftFiles(docx=docx, preview=preview, pdf=convert_to_pdf(docx) if pdf else None)


def pdf_converter_available() -> bool:
    return office_program() is not None


def convert_to_pdf(docx: Path) -> Path | None:
    """A .pdf beside the .docx through LibreOffice; None (said once in the log) without it.

    Safe to call from several threads (the bot calls it through `asyncio.to_thread`): the warm
    office converts one file at a time, the others wait their turn.
    """
    global _pdf_unavailable_said
    if office_program() is None:
        if not _pdf_unavailable_said:
            logger.info("LibreOffice (soffice) is not installed: drafts are .docx only, no .pdf")
            _pdf_unavailable_said = True
        return None
    return default_converter().convert(docx)
