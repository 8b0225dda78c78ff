"""From a commune's answers to a `ReportDocument`: the sentences of a BÁO CÁO and its annex.

The wording lives in a report kind's template (report_kinds/cchc/bao_cao_cchc.j2 for CCHC, a
Jinja2 template a province may copy and edit) and the annex in its `annex.yaml`. The
template never produces markup that is parsed afterwards: it calls Python collectors (`body()`,
`heading1()`, `bullet()`, `paragraphs()`...) that append `Paragraph`s, so an answer can never
turn into template code, a heading or a docx tag.
"""

from __future__ import annotations

import re
import types
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import SandboxedEnvironment

from definitions.forms import (
    DONE_UNCOUNTED,
    Form,
    counted,
    is_done,
    load_form,
)
from report_kinds import packaged_folder, packaged_words
from report_templates.annex import (
    DEFAULT_TITLE,
    AnnexCount,
    AnnexFileError,
    AnnexSpec,
    TableColumn,
    TableSpec,
    load_annex,
)
from report_templates.document import AnnexRow, AnnexTable, Block, Paragraph, ReportDocument
from wording.documents import DocumentRef
from wording.folding import fold
from wording.numbers import group_thousands
from wording.periods import ROMAN_QUARTERS, period_words

TEMPLATE_FILE = "bao_cao_cchc.j2"
ANNEX_FILE = "annex.yaml"
# A report kind's bundle folder (report_kinds/<code>/) names its template this way.
BUNDLE_TEMPLATE_FILE = "template.j2"
# What the CCHC report is about, as its summary line and closing say it.
CCHC_SUBJECT = packaged_words()["name"]
DEFAULT_SYMBOL = packaged_words()["symbol"]
PACKAGE_FOLDER = packaged_folder()  # the CCHC kind's folder: the packaged template and annex
TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

# Codes of earlier form versions whose answers are still stored in rounds and frozen versions:
# 2026.1 asked for one own plan, one higher plan and its issuer apart.
LEGACY_CODES = ("plan_ref", "higher_plan_ref", "higher_plan_issuer")


# Every question code of the packaged form and of earlier versions: the template sees each of
# them (None when not answered), so `a.radio_items` is always defined and a misspelt
# `a.radio_itmes` fails loudly.
@cache
def packaged_form() -> Form:
    return load_form()


ANSWER_CODES: tuple[str, ...] = (*packaged_form().questions, *LEGACY_CODES)

# 1 July 2025: districts were abolished and each commune's one-stop desk became its Trung tâm
# Phục vụ hành chính công (DOMAIN.md); a report names the desk as it was in its period.
REFORM_DAY = date(2025, 7, 1)
# The commune's sub-units, as the reports of each kind of unit name them.
SUB_UNITS = {"xã": "thôn", "phường": "tổ dân phố", "thị trấn": "tổ dân phố", "đặc khu": "thôn"}

DRAFT_BLANK = " " * 6  # the clerk writes the number and the day by hand in a draft
LEVEL_DONE = "Đạt"
LEVEL_NOT_DONE = "Chưa đạt"
_BULLET_MARKS = ("-", "–", "—", "•", "+", "*")  # dashes officers type
_ARCHIVE = re.compile(r"luu\b")  # "Lưu: VT", "Lưu VT", folded


class TemplateError(ValueError):
    """The report template or annex file is broken; the message is "<file>:<line>: <problem>"."""


def _today() -> date:
    return datetime.now(TIMEZONE).date()


@dataclass(frozen=True)
class ReportInput:
    """What a report is composed from: the unit, the period, the answers, who signs."""

    unit_kind_label: str  # "xã", "phường", "đặc khu"
    unit_name: str  # "Tân Quang"
    period_kind: str  # "quarter" | "half_year" | "year" (a PeriodKind compares equal)
    period_year: int
    period_number: int  # the quarter 1-4; 1 for half-year and year
    answers: Mapping[str, Any]  # question code -> stored value; None or absent = skipped
    signer_name: str
    signer_role: str  # "chairman" | "vice_chairman"
    receiving_office: str  # "Sở Nội vụ tỉnh Hưng Yên"
    previous: Mapping[str, Any] | None = None  # the same codes for the previous period
    number: str | None = None  # "134"; None in a draft
    issued_on: date | None = None  # None in a draft
    place: str = ""  # the name in the date line; the unit's name when empty
    draft_date: date = field(default_factory=_today)  # month and year printed in a draft
    # Whether the annex "BIỂU TỔNG HỢP" is attached; None: as the annex file's `include` says
    # (a province's practice: seed 002's Hải Dương attaches one, most reports do not).
    with_annex: bool | None = None
    # The lines under "Nơi nhận:" as the unit set them ("Sở Nội vụ tỉnh Hưng Yên", "Lưu: VT");
    # empty: the receiving office, the committee's leaders and "Lưu: VT.".
    recipients: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.period_kind not in ("quarter", "half_year", "year"):
            raise ValueError(
                f"period_kind must be quarter, half_year or year: {self.period_kind!r}"
            )
        if self.period_kind == "quarter" and self.period_number not in ROMAN_QUARTERS:
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.period_number!r}")
        if self.signer_role not in ("chairman", "vice_chairman"):
            raise ValueError(f"signer_role must be chairman or vice_chairman: {self.signer_role!r}")

    @property
    def place_name(self) -> str:
        return self.place or self.unit_name


@dataclass(frozen=True)
class TemplateSet:
    """The compiled report template and the annex, loaded once at start."""

    template: jinja2.Template
    template_path: Path
    annex: tuple[AnnexSpec, ...]  # the rows of a four-column summary; none with a table
    include_annex: bool = False  # the annex file's `include`: attach the annex by default
    annex_table: TableSpec | None = None  # a table the annex file describes, instead of rows
    annex_title: str = DEFAULT_TITLE
    # The codes the template sees as `a.<code>`: the packaged CCHC form's (and its legacy
    # codes) unless the set was loaded for another form, a report kind's.
    answer_codes: tuple[str, ...] = ANSWER_CODES
    form: Form | None = None  # the form the set was loaded for; None: the packaged CCHC form
    subject: str = CCHC_SUBJECT  # the summary line: "<Subject> quý IV năm 2026"
    symbol: str = DEFAULT_SYMBOL  # "Số: 134/BC-UBND"


# ---------------------------------------------------------------------------------------------
# Numbers and words, registered as Jinja filters


def hai_so(value: Any) -> str:
    """6 -> '06', 1500 -> '1.500': a leading zero below ten and dots between thousands."""
    number = int(value or 0)
    return f"{number:02d}" if 0 <= number < 10 else group_thousands(number)


def so(value: Any, unit: str = "") -> str:
    """6, 'chuyên mục' -> '06 chuyên mục'. Templates guard zero; a zero still never reads '00'."""
    if not value:
        return f"không có {unit}".rstrip() if unit else "không"
    return f"{hai_so(value)} {unit}".rstrip()


def phut(value: Any) -> str:
    """60 -> '60 phút', 900 -> '900 phút (15 giờ)': minutes as reports write them."""
    minutes = int(value or 0)
    text = f"{hai_so(minutes)} phút"
    if minutes < 120:
        return text
    hours, rest = divmod(minutes, 60)
    spoken = f"{hai_so(hours)} giờ" + (f" {hai_so(rest)} phút" if rest else "")
    return f"{text} ({spoken})"


def phan_tram(value: Any) -> str:
    """100 -> '100%', 99.5 -> '99,5%' (a decimal comma)."""
    if value is None:
        return ""
    number = float(value)
    text = str(int(number)) if number.is_integer() else f"{number:g}".replace(".", ",")
    return f"{text}%"


def van_ban(value: Any) -> str:
    """A stored document reference -> '03/KH-UBND ngày 08/01/2026'; '' when skipped."""
    if not value:
        return ""
    if isinstance(value, DocumentRef):
        return value.text()
    if isinstance(value, Mapping):
        return DocumentRef.from_json(value).text()
    return str(value)


def ngoac(value: Any) -> str:
    """'tăng 02 tin, bài so với quý trước' -> ' (tăng ...)'; '' stays ''."""
    text = str(value or "").strip()
    return f" ({text})" if text else ""


def cham(value: Any) -> str:
    """End a sentence with a full stop unless it already ends with punctuation."""
    text = str(value or "").strip()
    if not text or text[-1] in ".!?:;…":
        return text
    return f"{text}."


@jinja2.pass_context
def so_sanh(context: jinja2.runtime.Context, current: Any, previous: Any, unit: str = "") -> str:
    """'tăng 05 tin, bài so với quý trước', 'giảm ...', 'bằng quý trước'; '' without a previous."""
    if current is None or previous is None or isinstance(current, bool):
        return ""
    label = context.get("previous_label", "kỳ trước")
    difference = float(current) - float(previous)
    if difference == 0:
        return f"bằng {label}"
    word = "tăng" if difference > 0 else "giảm"
    amount = abs(difference)
    figure = hai_so(int(amount)) if amount.is_integer() else f"{amount:g}".replace(".", ",")
    return f"{word} {figure} {unit} so với {label}".replace("  ", " ")


def capitalize_first(value: Any) -> str:
    """'xã' -> 'Xã', leaving the rest as written (Jinja's capitalize lowers it)."""
    text = str(value or "")
    return text[:1].upper() + text[1:]


FILTERS: dict[str, Callable[..., Any]] = {
    "done": is_done,
    "so": so,
    "hai_so": hai_so,
    "phut": phut,
    "phan_tram": phan_tram,
    "van_ban": van_ban,
    "so_sanh": so_sanh,
    "ngoac": ngoac,
    "cham": cham,
    "capitalize_first": capitalize_first,
}


def tong(*values: Any) -> int | float | None:
    """The sum of figures, or None when any is not a figure (skipped, or done without one):
    a total the answers do not back is never stated."""
    figures = [counted(value) for value in values]
    if any(figure is None for figure in figures):
        return None
    return sum(figure for figure in figures if figure is not None)


def ty_le(part: Any, whole: Any) -> float | None:
    """100 * part / whole to two decimals, for `phan_tram`; None without a whole to divide by.
    A rate short of whole never rounds up to 100, and a rate above nothing never to 0."""
    part, whole = counted(part), counted(whole)
    if part is None or whole is None or whole <= 0 or part < 0:
        return None
    rate = round(100 * part / whole, 2)
    if rate >= 100 and part < whole:
        return 99.99
    if rate <= 0 < part:
        return 0.01
    return float(rate)


def noi(*parts: Any, sep: str = ", ", last: str | None = None) -> str:
    """Join the non-empty parts with `sep` (and `last` before the final one)."""
    texts = [" ".join(str(part).split()) for part in parts if part]
    texts = [text for text in texts if text]
    if len(texts) < 2:
        return "".join(texts)
    return sep.join(texts[:-1]) + (sep if last is None else last) + texts[-1]


# ---------------------------------------------------------------------------------------------
# Collectors: the only way template text becomes part of the document


def _collapse(text: str) -> str:
    return " ".join(text.split())


class _Collector:
    """Template callables that append paragraphs; each returns '' so nothing is printed."""

    def __init__(self) -> None:
        self.collected: list[Paragraph] = []

    def _add(self, kind: Block, caller: Callable[[], str]) -> str:
        text = _collapse(str(caller()))
        if text:
            if kind is Block.BULLET:
                text = _as_bullet(text)
            self.collected.append(Paragraph(kind, text))
        return ""

    def body(self, caller: Callable[[], str]) -> str:
        return self._add(Block.BODY, caller)

    def bullet(self, caller: Callable[[], str]) -> str:
        return self._add(Block.BULLET, caller)

    def heading1(self, caller: Callable[[], str]) -> str:
        return self._add(Block.HEADING_1, caller)

    def heading2(self, caller: Callable[[], str]) -> str:
        return self._add(Block.HEADING_2, caller)

    def heading3(self, caller: Callable[[], str]) -> str:
        return self._add(Block.HEADING_3, caller)

    def paragraphs(self, text: Any, bullet: bool = False) -> str:
        """One paragraph per non-empty line of a narrative answer, in sentence case with a final
        full stop (officers type "tiếp tục tuyên truyền"); the words are kept as typed."""
        if not text:
            return ""
        for line in str(text).splitlines():
            line = _sentence(line.strip())
            if not line:
                continue
            if bullet:
                self.collected.append(Paragraph(Block.BULLET, _as_bullet(line)))
            else:
                self.collected.append(Paragraph(Block.BODY, line))
        return ""

    def names(self) -> dict[str, Callable[..., str]]:
        return {
            "body": self.body,
            "bullet": self.bullet,
            "heading1": self.heading1,
            "heading2": self.heading2,
            "heading3": self.heading3,
            "paragraphs": self.paragraphs,
        }


def _sentence(line: str) -> str:
    """'- tiếp tục tuyên truyền' -> '- Tiếp tục tuyên truyền.': the first letter after any dash
    upper case, a full stop at the end unless the line ends with punctuation already."""
    if not line:
        return line
    mark = ""
    for dash in _BULLET_MARKS:
        if line.startswith(dash) and line[len(dash) : len(dash) + 1] in (" ", "\t"):
            mark, line = dash + " ", line[len(dash) :].strip()
            break
    numbered = _NUMBERED_ITEM.match(line)
    if numbered:  # "b) tăng tin, bài" -> "b) Tăng tin, bài.": the number stays as typed
        head, rest = line[: numbered.end()], line[numbered.end() :]
        return mark + head + capitalize_first(cham(rest))
    return mark + capitalize_first(cham(line))


def _as_bullet(text: str) -> str:
    """'- text' as the seeds write list items; a dash the officer typed is not doubled, and an
    item the officer numbered ("3. Cùng các bộ phận...", "a) ...") keeps its number alone."""
    for mark in _BULLET_MARKS:
        if text.startswith(mark) and text[len(mark) : len(mark) + 1] in (" ", "\t"):
            text = text[len(mark) :].strip()
            break
    if _NUMBERED_ITEM.match(text):
        return text
    return f"- {text}"


_NUMBERED_ITEM = re.compile(r"(?:[0-9]{1,2}|[a-zđ])[.)] ")


# Names a template may use besides its own {% set %} variables: checked at load time.
CONTEXT_NAMES = frozenset(
    {
        "a",
        "prev",
        "has_previous",
        "unit_kind",
        "unit_name",
        "year",
        "period",
        "period_short",
        "previous_label",
        "next_period",
        "noi",
        "muc",
        "tu",
        "cite",
        "la_ma",
        "own_plans",
        "higher_docs",
        "content_docs",
        "topics",
        "directed_to",
        "desk",
        "sub_units",
        "radio_name",
        "tong",
        "ty_le",
        "citations",
        *_Collector().names(),
    }
)


# ---------------------------------------------------------------------------------------------
# Loading


def load_templates(
    folder: Path | None = None,
    *,
    form: Form | None = None,
    template_file: str = TEMPLATE_FILE,
    annex_file: str = ANNEX_FILE,
    subject: str = CCHC_SUBJECT,
    symbol: str = DEFAULT_SYMBOL,
) -> TemplateSet:
    """Compile the report template and validate the annex; TemplateError names file and line.

    Without `form` the template is CCHC's and sees the packaged form's codes; with one (a
    report kind's, see `load_bundle_templates`) it sees that form's codes, and the annex rows
    name them.
    """
    folder = (folder or PACKAGE_FOLDER).resolve()
    codes = ANSWER_CODES if form is None else tuple(form.questions)
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain text in Paragraphs, never markup: nothing to escape
        keep_trailing_newline=False,
    )
    env.filters.update(FILTERS)
    template_path = folder / template_file
    try:
        source = template_path.read_text(encoding="utf-8")
        template = env.get_template(template_file)
        _check_names(env, source, template_path)
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{template_path}:{exc.lineno}: {exc.message}") from exc
    except (OSError, UnicodeDecodeError, jinja2.TemplateNotFound) as exc:
        raise TemplateError(f"{template_path}:1: cannot read the template ({exc})") from exc
    questions = (form or packaged_form()).questions
    try:
        annex = load_annex(folder / annex_file, codes, questions)
    except AnnexFileError as exc:
        raise TemplateError(str(exc)) from exc
    templates = TemplateSet(
        template=template,
        template_path=template_path,
        annex=annex.rows,
        include_annex=annex.include,
        annex_table=annex.table,
        annex_title=annex.title,
        answer_codes=codes,
        form=form,
        subject=subject,
        symbol=symbol,
    )
    # A misspelt attribute or filter in a branch surfaces at start.
    for sample in _samples() if form is None else _form_samples(form):
        compose(sample, templates=templates)
    return templates


def load_bundle_templates(
    folder: Path, form: Form, *, subject: str, symbol: str = DEFAULT_SYMBOL
) -> TemplateSet:
    """A report kind's template set: `template.j2` and `annex.yaml` of its bundle folder,
    checked against the kind's own form."""
    return load_templates(
        folder, form=form, template_file=BUNDLE_TEMPLATE_FILE, subject=subject, symbol=symbol
    )


@cache
def default_templates() -> TemplateSet:
    return load_templates()


def _check_names(env: jinja2.Environment, source: str, path: Path) -> None:
    """Refuse top-level names the composer never provides (a misspelt `a` or `unit_name`)."""
    tree = env.parse(source)
    unknown = meta.find_undeclared_variables(tree) - CONTEXT_NAMES - set(env.globals)
    if not unknown:
        return
    lines = [
        node.lineno
        for node in tree.find_all(nodes.Name)
        if node.name in unknown and node.ctx == "load"
    ]
    name = sorted(unknown)[0]
    raise TemplateError(f"{path}:{min(lines, default=1)}: unknown variable {name!r}")


# ---------------------------------------------------------------------------------------------
# Composing


# What a template mistake raises while rendering (a filter given text, a call of a non-callable).
_RENDER_ERRORS = (
    jinja2.TemplateError,
    TypeError,
    ValueError,
    ArithmeticError,
    LookupError,
    AttributeError,
)


def compose(
    report: ReportInput, *, templates: TemplateSet | None = None, form: Form | None = None
) -> ReportDocument:
    """Fill a ReportDocument from the answers; TemplateError when the template fails. `form`
    gives the topics' wording (the one the templates were loaded for, else the packaged form)."""
    templates = templates or default_templates()
    collector = _Collector()
    form = form or templates.form or packaged_form()
    context = {**_context(report, form, templates.answer_codes), **collector.names()}
    try:
        stray = templates.template.render(context)
    except _RENDER_ERRORS as exc:
        line = _template_line(exc, templates.template_path)
        message = getattr(exc, "message", None) or str(exc)
        raise TemplateError(f"{templates.template_path}:{line}: {message}") from exc
    if stray.strip():
        snippet = _collapse(stray)[:60]
        raise TemplateError(
            f"{templates.template_path}:1: text outside body(), bullet() or a heading "
            f"would be lost: {snippet!r}"
        )
    kind = report.unit_kind_label
    with_annex = templates.include_annex if report.with_annex is None else report.with_annex
    return ReportDocument(
        issuing_body=("ỦY BAN NHÂN DÂN", f"{kind} {report.unit_name}".upper()),
        number_line=f"Số:{_number(report.number)}/{templates.symbol}",
        place_date_line=f"{report.place_name}, {_date_words(report)}",
        title="BÁO CÁO",
        summary=f"{capitalize_first(templates.subject)} {period_label(report)}",
        body=tuple(collector.collected),
        recipients=recipient_lines(
            report.recipients, receiving_office=report.receiving_office, unit_kind=kind
        ),
        authority=_authority(report.signer_role),
        signer_name=report.signer_name,
        annex_subtitle=(
            f"(Kèm theo Báo cáo số{_number(report.number)}/{templates.symbol} "
            f"ngày{_short_date(report)} "
            f"của UBND {kind} {report.unit_name})"
        ),
        annex_title=_annex_words(templates.annex_title, report),
        annex=tuple(_annex_rows(templates.annex, report.answers)) if with_annex else (),
        annex_table=(
            _annex_table(templates.annex_table, report)
            if with_annex and templates.annex_table is not None
            else None
        ),
    )


def period_label(report: ReportInput) -> str:
    """'quý IV năm 2026', '6 tháng đầu năm 2026', 'năm 2026' (as conversations.texts)."""
    return period_words(report.period_kind, report.period_year, report.period_number)


def _period_short(report: ReportInput) -> str:
    if report.period_kind == "quarter":
        return f"quý {ROMAN_QUARTERS[report.period_number]}"
    if report.period_kind == "half_year":
        return "6 tháng đầu năm"
    return "năm"


def _next_period(report: ReportInput) -> str:
    year = report.period_year
    if report.period_kind == "quarter":
        if report.period_number == 4:
            return f"quý I năm {year + 1}"
        return f"quý {ROMAN_QUARTERS[report.period_number + 1]} năm {year}"
    if report.period_kind == "half_year":
        return f"6 tháng cuối năm {year}"
    return f"năm {year + 1}"


def _namespace(
    values: Mapping[str, Any] | None, codes: Sequence[str] = ANSWER_CODES
) -> types.SimpleNamespace:
    # Attributes only (no .items/.values methods to shadow a code); private names never pass.
    data: dict[str, Any] = dict.fromkeys(codes)
    for code, value in (values or {}).items():
        if isinstance(code, str) and code.isidentifier() and not code.startswith("_"):
            data[code] = value
    return types.SimpleNamespace(**data)


def muc(value: Any, unit: str, bare: str | None = None) -> str:
    """A form of publicity as a report says it: '06 băng rôn' with a figure, `bare` (or the unit
    alone) when done without a figure, '' when not done or not answered."""
    figure = counted(value)
    if figure is not None and figure > 0:
        return so(figure, unit)
    if value == DONE_UNCOUNTED:
        return bare if bare is not None else unit
    return ""


def la_ma(number: int) -> str:
    """1 -> 'I', 4 -> 'IV': headings are numbered as they come, since sections can be absent."""
    numerals = ((10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
    text, rest = "", int(number)
    for value, numeral in numerals:
        while rest >= value:
            text, rest = text + numeral, rest - value
    return text


@dataclass(frozen=True)
class Citation:
    """A cited document with the words around it: 'Kế hoạch số 03/KH-UBND ngày 08/01/2024'."""

    ref: DocumentRef
    default_issuer: str = ""
    default_about: str = ""

    def __str__(self) -> str:
        ref = self.ref
        kind = ref.kind or "Văn bản"
        parts = [f"{kind} số {ref.text()}"]
        issuer = ref.issuer or self.default_issuer
        if issuer:
            parts.append(f"của {issuer}")
        about = ref.about or self.default_about
        if about:
            parts.append(f"về {about.removeprefix('về ').removeprefix('Về ')}")
        return " ".join(parts)


def cite(citations: Sequence[Citation], sep: str = "; ", last: str | None = None) -> str:
    """Several citations joined ('...; Kế hoạch số ... và Quyết định số ...')."""
    return noi(*(str(c) for c in citations), sep=sep, last=last)


def citations(value: Any, issuer: str = "", about: str = "") -> list[Citation]:
    """A document_ref(s) answer as citations ('Kế hoạch số 03/KH-UBND ngày ... của <issuer>
    về <about>'), the issuer and subject typed by the officer winning over the defaults."""
    return [Citation(ref, issuer, about) for ref in _documents(value)]


def _documents(value: Any) -> list[DocumentRef]:
    """Stored references (one, as in form 2026.1, or a list) as DocumentRefs; unreadable ones
    are left out rather than printed wrong."""
    items = value if isinstance(value, list) else [value] if value else []
    found = []
    for item in items:
        try:
            found.append(item if isinstance(item, DocumentRef) else DocumentRef.from_json(item))
        except (ValueError, TypeError, AttributeError):
            continue
    return found


def _plan_year(report: ReportInput, ref: DocumentRef) -> str:
    """' năm 2024' when the plan is evidently this year's (issued in it, or in the last quarter
    of the year before, as annual plans are); '' otherwise: an older plan's year is its own."""
    year = report.period_year
    issued = ref.issued_on
    if issued.year == year or (issued.year == year - 1 and issued.month >= 10):
        return f" năm {year}"
    return ""


def _citations(report: ReportInput) -> tuple[list[Citation], list[Citation]]:
    """The commune's own plans and the higher documents it carries out, from either form
    version (2026.1: plan_ref, higher_plan_ref and higher_plan_issuer)."""
    answers = report.answers
    own_issuer = f"UBND {report.unit_kind_label} {report.unit_name}"
    own = [
        Citation(ref, own_issuer, "tuyên truyền cải cách hành chính" + _plan_year(report, ref))
        for ref in _documents(answers.get("plan_refs") or answers.get("plan_ref"))
    ]
    higher_answer = answers.get("higher_docs")
    if higher_answer:
        higher = [Citation(ref) for ref in _documents(higher_answer)]
    else:
        legacy_issuer = str(answers.get("higher_plan_issuer") or "")
        about = "tuyên truyền cải cách hành chính"
        higher = [
            Citation(ref, legacy_issuer, about + _plan_year(report, ref))
            for ref in _documents(answers.get("higher_plan_ref"))
        ]
    return own, higher


def _after_reform(report: ReportInput) -> bool:
    """Whether the period closes after 1 July 2025 (its last month's closing day, the 14th)."""
    last_month = {"quarter": 3 * report.period_number, "half_year": 6, "year": 12}
    closing = date(report.period_year, last_month[str(report.period_kind)], 14)
    return closing >= REFORM_DAY


def _desk(report: ReportInput) -> str:
    kind = report.unit_kind_label
    if _after_reform(report):
        return f"Trung tâm Phục vụ hành chính công {kind}"
    return f"Bộ phận tiếp nhận và trả kết quả của UBND {kind}"


def _chosen(report: ReportInput, form: Form, code: str) -> list[str]:
    """The phrases of the choices picked in a multi-choice answer, in the form's order; a
    phrase may name the unit's sub-units as {sub_units} ("các {sub_units}" -> "các thôn")."""
    question = form.questions.get(code)
    picked = report.answers.get(code)
    if question is None or not isinstance(picked, list):
        return []
    words = {"sub_units": _sub_units(report), "unit_kind": report.unit_kind_label}
    return [c.in_sentence.format_map(words) for c in question.choices if c.value in picked]


def _word_of(report: ReportInput, form: Form) -> Callable[[str, str], str]:
    """tu("mobile_sessions_unit", "buổi"): the word the officer picked for a figure's unit
    (a choice question's label), or the default when none was picked."""

    def tu(code: str, default: str) -> str:
        question = form.questions.get(code)
        picked = report.answers.get(code)
        for choice in question.choices if question is not None else ():
            if choice.value == picked:
                return choice.label
        return default

    return tu


def _sub_units(report: ReportInput) -> str:
    return SUB_UNITS.get(report.unit_kind_label, "thôn, tổ dân phố")


def _context(
    report: ReportInput, form: Form, codes: Sequence[str] = ANSWER_CODES
) -> dict[str, Any]:
    own, higher = _citations(report)
    return {
        "own_plans": own,
        "higher_docs": higher,
        "content_docs": [Citation(ref) for ref in _documents(report.answers.get("content_docs"))],
        "topics": _chosen(report, form, "content_topics"),
        "directed_to": _chosen(report, form, "directed_to"),
        "desk": _desk(report),
        "sub_units": _sub_units(report),
        "radio_name": f"Đài truyền thanh {report.unit_kind_label}",
        "muc": muc,
        "tu": _word_of(report, form),
        "cite": cite,
        "la_ma": la_ma,
        "a": _namespace(report.answers, codes),
        "prev": _namespace(report.previous, codes),
        "tong": tong,
        "ty_le": ty_le,
        "citations": citations,
        "has_previous": report.previous is not None,
        "unit_kind": report.unit_kind_label,
        "unit_name": report.unit_name,
        "year": report.period_year,
        "period": period_label(report),
        "period_short": _period_short(report),
        "previous_label": "quý trước" if report.period_kind == "quarter" else "kỳ trước",
        "next_period": _next_period(report),
        "noi": noi,
    }


def _template_line(exc: BaseException, path: Path) -> int:
    """The template line of a render error: Jinja maps its frames onto the template file."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.lineno
    line = 1
    target = str(path)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _number(number: str | None) -> str:
    """' 134' after "Số:", or the blank a draft leaves for the clerk; 5 is written '05'."""
    if number is None or not number.strip():
        return DRAFT_BLANK
    number = number.strip()
    return " " + (f"{int(number):02d}" if number.isdigit() and int(number) < 10 else number)


def _date_words(report: ReportInput) -> str:
    """'ngày 05 tháng 01 năm 2027'; a draft leaves the day blank for the clerk."""
    when = report.issued_on or report.draft_date
    day = f" {when.day:02d} " if report.issued_on else DRAFT_BLANK
    month = f"{when.month:02d}" if when.month <= 2 else str(when.month)
    return f"ngày{day}tháng {month} năm {when.year}"


def _short_date(report: ReportInput) -> str:
    if report.issued_on is not None:
        return f" {report.issued_on:%d/%m/%Y}"
    return f"{DRAFT_BLANK}/{report.draft_date:%m/%Y}"


def draft_date_for(deadline: date, today: date | None = None) -> date:
    """The date a draft carries (its month and year are printed): today while the period's
    deadline is today or ahead, else the deadline, so a past period's draft is never dated
    after it was due."""
    return min(today or _today(), deadline)


def default_recipients(*, receiving_office: str, unit_kind: str) -> tuple[str, ...]:
    """What "Nơi nhận" lists when the unit has set nothing, as typed (without the dashes)."""
    office = (receiving_office,) if receiving_office.strip() else ()
    return (*office, f"Chủ tịch, các Phó Chủ tịch UBND {unit_kind}", "Lưu: VT")


def recipient_lines(
    recipients: Sequence[str], *, receiving_office: str, unit_kind: str
) -> tuple[str, ...]:
    """The lines under "Nơi nhận:": "- <text>;" each, the "Lưu" line last ending with "."
    ("- Lưu: VT."), added when none is given. A dash or a final ";" or "." the person typed is
    not doubled; an empty list gives the default."""
    texts = [text for text in (_recipient_text(line) for line in recipients) if text]
    if not texts:
        texts = list(default_recipients(receiving_office=receiving_office, unit_kind=unit_kind))
    filed = [text for text in texts if is_archive_line(text)] or ["Lưu: VT"]
    others = [text for text in texts if not is_archive_line(text)]
    ordered = [*others, *filed]
    return tuple(
        f"- {text}{'.' if index == len(ordered) - 1 else ';'}" for index, text in enumerate(ordered)
    )


def is_archive_line(text: str) -> bool:
    """Whether a recipient line is the archive's ("Lưu: VT", "Lưu VT, VP"), which ends the list."""
    return _ARCHIVE.match(fold(_recipient_text(text))) is not None


def _recipient_text(line: str) -> str:
    """A recipient as typed, without leading dashes or a final ";" or "."."""
    text = _collapse(unicodedata.normalize("NFC", line))
    while text and text[0] in _BULLET_MARKS:
        text = text[1:].lstrip()
    return text.rstrip(";.,").rstrip()


def _authority(role: str) -> tuple[str, ...]:
    if role == "vice_chairman":
        # A vice-chairman signs for the chairman on behalf of the collective (Decree 30/2020).
        return ("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    if role == "chairman":
        return ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    raise ValueError(f"signer_role must be chairman or vice_chairman, not {role!r}")


# ---------------------------------------------------------------------------------------------
# Annex


LEVEL_NOT_DONE_RESULT = "Chưa thực hiện"
LEVEL_DONE_UNCOUNTED = "Có thực hiện"


def _annex_rows(specs: Sequence[AnnexSpec], answers: Mapping[str, Any]) -> Iterator[AnnexRow]:
    """A row per form of publicity the commune was asked about, graded from its answers only:
    done (with a figure or without) is "Đạt", answered as not done is "Chưa đạt", and a form
    nobody answered is left out rather than judged."""
    for spec in specs:
        if spec.only_when is not None and answers.get(spec.only_when.answer) != (
            spec.only_when.equals
        ):
            continue
        values = [answers.get(count.answer) for count in spec.counts]
        if all(value is None for value in values):
            continue
        pairs = zip(spec.counts, values, strict=True)
        parts = [_count_text(count, value) for count, value in pairs]
        figures = "; ".join(part for part in parts if part)
        done = any(is_done(value) for value in values)
        if figures:
            result = figures
        elif done:
            result = LEVEL_DONE_UNCOUNTED
        else:
            result = LEVEL_NOT_DONE_RESULT
        yield AnnexRow(form=spec.form, result=result, level=LEVEL_DONE if done else LEVEL_NOT_DONE)


def _annex_table(spec: TableSpec, report: ReportInput) -> AnnexTable | None:
    """The annex table's one row, the report's: each column's words, figure or total. A total
    is left blank unless every part was answered (as `tong`); a table without a single figure
    is not attached, since it would say nothing."""
    columns = spec.leaves()
    row = tuple(_table_cell(column, report) for column in columns)
    if not any(text for column, text in zip(columns, row, strict=True) if column.parts):
        return None
    header, header_rows = spec.header()
    return AnnexTable(
        header=header,
        header_rows=header_rows,
        rows=(row,),
        alignments=tuple(column.align for column in columns),
        numbered=spec.numbered,
        unit_note=spec.unit_note,
        landscape=spec.landscape,
    )


def _table_cell(column: TableColumn, report: ReportInput) -> str:
    if column.text is not None:
        return _annex_words(column.text, report)
    figure = tong(*(report.answers.get(code) for code in column.parts))
    if figure is None:
        return ""
    if column.figure_format == "percent":
        return phan_tram(figure)
    return group_thousands(int(figure))  # counts and minutes are whole numbers


def _annex_words(text: str, report: ReportInput) -> str:
    """An annex text with the report's unit and period in its {placeholders}."""
    return text.format(
        unit_kind=report.unit_kind_label, unit_name=report.unit_name, period=period_label(report)
    )


def _count_text(count: AnnexCount, value: Any) -> str:
    figure = counted(value)
    if not figure or figure <= 0:
        return ""
    if count.format == "percent":
        text = phan_tram(figure)
        return f"{text} {count.unit}".rstrip()
    if count.format == "minutes":
        return phut(figure)
    return so(figure, count.unit)


# ---------------------------------------------------------------------------------------------
# Sample inputs rendered at load time so that template mistakes surface at start


def _samples() -> Iterator[ReportInput]:
    full: dict[str, Any] = dict.fromkeys(ANSWER_CODES, 3)
    full.update(
        plan_ref={"number": "03", "symbol": "KH-UBND", "year": None, "issued_on": "2026-01-08"},
        higher_plan_ref={
            "number": "181",
            "symbol": "KH-UBND",
            "year": None,
            "issued_on": "2025-12-29",
        },
        higher_plan_issuer="UBND tỉnh",
        plan_refs=[{"number": "03", "symbol": "KH-UBND", "year": None, "issued_on": "2026-01-08"}],
        higher_docs=[
            {
                "number": "181",
                "symbol": "KH-UBND",
                "year": None,
                "issued_on": "2025-12-29",
                "issuer": "UBND tỉnh",
                "about": "tuyên truyền",
            }
        ],
        content_docs=[{"number": "76", "symbol": "NQ-CP", "year": None, "issued_on": "2021-07-15"}],
        content_topics=["par_index", "sipas"],
        content_other="Nội dung khác",
        directed_to=["departments", "sub_units"],
        radio_station="active",
        radio_relay=True,
        web_tthc_updated=True,
        tthc_posted_percent=100,
        other_forms_text="Tuyên truyền qua nhóm Zalo",
        strengths="Ưu điểm",
        limitations="Hạn chế",
        causes="Nguyên nhân",
        directions="Phương hướng",
        proposals="Kiến nghị",
    )
    base = ReportInput(
        unit_kind_label="xã",
        unit_name="Mẫu",
        period_kind="quarter",
        period_year=2026,
        period_number=4,
        answers=full,
        previous=dict.fromkeys(ANSWER_CODES, 1),
        signer_name="Nguyễn Văn A",
        signer_role="chairman",
        receiving_office="Sở Nội vụ",
        draft_date=date(2026, 12, 1),
    )
    yield base
    for station in ("none", "broken", None):
        yield replace(
            base,
            period_kind="year",
            period_number=1,
            answers={"radio_station": station},
            previous=None,
            signer_role="vice_chairman",
        )
    uncounted = {q.code: DONE_UNCOUNTED for q in packaged_form().questions.values() if q.uncounted}
    yield replace(base, answers={**full, **uncounted}, with_annex=True)
    zeros = {code: 0 for code, value in full.items() if isinstance(value, int)}
    yield replace(
        base,
        period_kind="half_year",
        period_number=1,
        answers={**zeros, "radio_station": "active", "radio_relay": False},
        previous=zeros,
        number="5",
        issued_on=date(2026, 6, 16),
    )


def _form_samples(form: Form) -> Iterator[ReportInput]:
    """Reports over every question of a kind's form, from its types' example values (zero, a
    few, many; each choice), nothing answered, each period kind, either signer."""
    depth = max(len(q.answer_type.example_values) for q in form.questions.values())
    variants = [_example_answers(form, index) for index in range(max(depth, 1))]
    base = ReportInput(
        unit_kind_label="xã",
        unit_name="Mẫu",
        period_kind="quarter",
        period_year=2026,
        period_number=4,
        answers=variants[-1],
        previous=variants[0],
        signer_name="Nguyễn Văn A",
        signer_role="chairman",
        receiving_office="Văn phòng UBND tỉnh",
        draft_date=date(2026, 12, 1),
    )
    yield base
    yield replace(base, answers={}, previous=None, signer_role="vice_chairman")
    periods = [
        ("quarter", 2025, 2),
        ("quarter", 2025, 3),
        ("half_year", 2026, 1),
        ("year", 2026, 1),
    ]
    for index, answers in enumerate(variants * 2):  # each variant in two period kinds
        kind, year, number = periods[index % len(periods)]
        yield replace(
            base,
            period_kind=kind,
            period_year=year,
            period_number=number,
            answers=answers,
            previous=None,
            with_annex=True,
            number="5",
            issued_on=date(year, 12, 16),
        )


def _example_answers(form: Form, index: int) -> dict[str, Any]:
    """Every question answered with its type's `index`-th example value (wrapping round); a
    choice takes the question's own choices, a count "done" only where the form allows it."""
    answers: dict[str, Any] = {}
    for question in form.questions.values():
        examples = [
            value
            for value in question.answer_type.example_values
            if value != DONE_UNCOUNTED or question.uncounted
        ]
        if not examples:
            continue
        example = examples[index % len(examples)]
        if question.choices:
            picks = [choice.value for choice in question.choices]
            if isinstance(example, list):
                example = picks[: min(len(example) + index, len(picks))]
            else:
                example = picks[index % len(picks)]
        answers[question.code] = example
    return answers


__all__ = [
    "ANSWER_CODES",
    "ReportInput",
    "TemplateError",
    "TemplateSet",
    "compose",
    "default_templates",
    "draft_date_for",
    "load_bundle_templates",
    "load_templates",
    "period_label",
    "recipient_lines",
]
