"""Render a draft report to files: .docx always, a chat preview, and .pdf where LibreOffice is.

`baocao draft --answers FILE.json --out DIR` reads answers from a file (format in the README), so
a province can preview its templates, and tests can render without a database or Telegram. PDFs
come from `report_templates.pdf`, which keeps one LibreOffice warm for the whole process.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from conversations.forms import Form, QuestionType
from conversations.parsing import ParseError, clean_text
from conversations.values import parse_answer
from report_templates.compose import (
    ReportInput,
    TemplateSet,
    compose,
    default_templates,
    load_templates,
)
from report_templates.docx_writer import Layout, load_layout, write_docx
from report_templates.pdf import default_converter, office_program
from report_templates.preview import preview_messages
from storage.periods import PeriodCodeError, window

logger = logging.getLogger(__name__)

SIGNER_ROLES = ("chairman", "vice_chairman")
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


def read_answers_file(path: Path, form: Form) -> ReportInput:
    """A ReportInput from a JSON answers file; answers may be typed as an officer would."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DraftInputError(f"{path}: cannot read the file ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise DraftInputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(data, dict):
        raise DraftInputError(f"{path}: the file must hold one JSON object")

    def need(key: str, parent: Mapping[str, Any] = data, where: str = "") -> Any:
        if key not in parent or parent[key] in (None, ""):
            raise DraftInputError(f"{path}: {where}{key}: required")
        return parent[key]

    unit, signer = need("unit"), need("signer")
    if not isinstance(unit, dict) or not isinstance(signer, dict):
        raise DraftInputError(f'{path}: unit and signer are objects ({{"name": ...}})')
    try:
        period = window(str(need("period")))
    except PeriodCodeError as exc:
        raise DraftInputError(f"{path}: period: {exc}") from exc
    role = str(signer.get("role", "chairman"))
    if role not in SIGNER_ROLES:
        raise DraftInputError(f"{path}: signer.role: use {' or '.join(SIGNER_ROLES)}")
    return ReportInput(
        unit_kind_label=str(unit.get("kind", "xã")),
        unit_name=str(need("name", unit, "unit.")),
        place=str(unit.get("place", "")),
        period_kind=period.kind.value,
        period_year=period.year,
        period_number=period.number,
        answers=_answers(path, "answers", data.get("answers", {}), form),
        previous=_answers(path, "previous", data["previous"], form)
        if data.get("previous")
        else None,
        signer_name=str(need("name", signer, "signer.")),
        signer_role=role,
        receiving_office=str(need("receiving_office")),
        number=str(data["number"]) if data.get("number") else None,
        issued_on=_date(path, data.get("issued_on")),
        with_annex=_annex(path, data.get("annex")),
    )


def _annex(path: Path, value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise DraftInputError(f"{path}: annex: write true or false")


def _answers(path: Path, key: str, raw: Any, form: Form) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise DraftInputError(f"{path}: {key}: an object of question code -> answer")
    answers: dict[str, Any] = {}
    for code, value in raw.items():
        question = form.questions.get(code)
        if question is None:
            raise DraftInputError(f"{path}: {key}.{code}: no such question in the form")
        if value is None or not isinstance(value, str):
            answers[code] = value  # already a stored value (a number, true/false, an object)
            continue
        if question.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            answers[code] = clean_text(value)
            continue
        try:
            answers[code] = parse_answer(question, value)
        except ParseError as exc:
            raise DraftInputError(f"{path}: {key}.{code}: {exc.message}") from exc
    return answers


def _date(path: Path, value: Any) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%d/%m/%Y").date()
    except ValueError as exc:
        raise DraftInputError(f"{path}: issued_on: write the date as dd/mm/yyyy") from exc


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
