"""Write a `ReportDocument` as a .docx laid out per Decree 30/2020/NĐ-CP, Appendix I.

Sizes, margins and type come from `layout.yaml` (see `load_layout`), so a province can adjust them
within the decree's ranges without touching Python. Every piece of text goes in as run text, after
`xml_safe` has removed what XML 1.0 forbids, so no input can break the file.

The short lines under the issuing body, the motto and the summary are drawn as the top border of an
empty, centred "rule" paragraph whose left and right indents leave the line as long as it should
be (a paragraph border spans the paragraph's width between its indents). Their lengths come from
the text above them, measured with Times New Roman's character widths (`text_width_pt`): as long
as the motto, and a fraction (1/3 to 1/2, `layout.yaml`) of the issuing body's and the summary's
longest line. The rule paragraph's space before it keeps a gap of a few points below the letters.
Unlike a drawn shape, python-docx reads this back, so tests can check it, and it moves with the
text.

The closing (the "Nơi nhận:" list beside the signature) is one table row that may not break
across pages, each of its paragraphs kept with the next and its lines together, and the closing
sentence is kept with it: the authority, the space to sign and the name always share a page.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import io
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.font import Font
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.parfmt import ParagraphFormat
from docx.text.run import Run

from definitions.forms import read_yaml
from report_kinds import packaged_folder
from report_templates.document import AnnexTable, Block, ReportDocument

logger = logging.getLogger(__name__)

DEFAULT_LAYOUT_PATH = packaged_folder() / "layout.yaml"

ANNEX_HEADER = ("TT", "Hình thức tuyên truyền", "Kết quả", "Mức độ")

_BLACK = RGBColor(0, 0, 0)

# XML 1.0 allows \t \n \r and everything from U+0020 except surrogates, U+FFFE and U+FFFF; the C1
# controls (U+007F-U+009F) are allowed but never meant as text, so they go too.
_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Children of <w:pPr> and <w:tblPr> that must come after <w:pBdr> / <w:tblBorders> (ECMA-376).
_PBDR_SUCCESSORS = (
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_TBLBORDERS_SUCCESSORS = (
    "w:shd",
    "w:tblLayout",
    "w:tblCellMar",
    "w:tblLook",
    "w:tblCaption",
    "w:tblDescription",
    "w:tblPrChange",
)
_TABLE_EDGES = ("top", "left", "bottom", "right", "insideH", "insideV")
# Word's default table cell margins leave 0.19 cm (108 twips) on each side of a cell's text.
_CELL_MARGINS_MM = 2 * 1.905


def xml_safe(text: str) -> str:
    """Return `text` without the characters XML 1.0 forbids, line breaks normalised to \\n."""
    return _XML_FORBIDDEN.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# --- layout -------------------------------------------------------------------------------------


class LayoutError(ValueError):
    """A layout file that cannot be read or breaks the decree's ranges."""

    def __init__(self, path: Path, key: str, problem: str) -> None:
        super().__init__(f"{path}: {key}: {problem}")
        self.path = path
        self.key = key


@dataclass(frozen=True)
class ElementStyle:
    size_pt: float
    bold: bool
    italic: bool
    upper: bool


@dataclass(frozen=True)
class Elements:
    issuing_body: ElementStyle
    national_title: ElementStyle
    motto: ElementStyle
    number: ElementStyle
    place_date: ElementStyle
    title: ElementStyle
    summary: ElementStyle
    body: ElementStyle
    heading_1: ElementStyle
    heading_2: ElementStyle
    heading_3: ElementStyle
    recipients_label: ElementStyle
    recipients: ElementStyle
    authority: ElementStyle
    signer: ElementStyle
    page_number: ElementStyle
    annex_title: ElementStyle
    annex_subtitle: ElementStyle
    annex_header: ElementStyle
    annex_cell: ElementStyle


@dataclass(frozen=True)
class Layout:
    page_width_mm: float
    page_height_mm: float
    margin_top_mm: float
    margin_bottom_mm: float
    margin_left_mm: float
    margin_right_mm: float
    font_name: str
    first_line_indent_cm: float
    space_after_pt: float
    line_spacing: float
    header_left_column_mm: float
    issuing_body_rule_ratio: float
    summary_rule_ratio: float
    rule_gap_pt: float
    closing_left_column_mm: float
    signature_blank_lines: int
    elements: Elements

    @property
    def text_width_mm(self) -> float:
        return self.page_width_mm - self.margin_left_mm - self.margin_right_mm


# Allowed font sizes per element (Decree 30/2020, Appendix I).
_SIZE_RANGES: dict[str, tuple[float, float]] = {
    "issuing_body": (12, 13),
    "national_title": (12, 13),
    "motto": (13, 14),
    "number": (13, 13),
    "place_date": (13, 14),
    "title": (13, 14),
    "summary": (13, 14),
    "body": (13, 14),
    "heading_1": (13, 14),
    "heading_2": (13, 14),
    "heading_3": (13, 14),
    "recipients_label": (12, 12),
    "recipients": (11, 11),
    "authority": (13, 14),
    "signer": (13, 14),
    "page_number": (13, 14),
    "annex_title": (13, 14),
    "annex_subtitle": (13, 14),
    "annex_header": (11, 14),
    "annex_cell": (11, 14),
}
assert set(_SIZE_RANGES) == {f.name for f in fields(Elements)}

# Every scalar key of layout.yaml: the Layout field it fills and its range (None: not a number).
_SCALARS: dict[str, tuple[str, type, tuple[float, float] | None]] = {
    "page.width_mm": ("page_width_mm", float, (209.5, 210.5)),
    "page.height_mm": ("page_height_mm", float, (296.5, 297.5)),
    "page.margin_top_mm": ("margin_top_mm", float, (20, 25)),
    "page.margin_bottom_mm": ("margin_bottom_mm", float, (20, 25)),
    "page.margin_left_mm": ("margin_left_mm", float, (30, 35)),
    "page.margin_right_mm": ("margin_right_mm", float, (15, 20)),
    "font": ("font_name", str, None),
    "body.first_line_indent_cm": ("first_line_indent_cm", float, (1.0, 1.27)),
    "body.space_after_pt": ("space_after_pt", float, (6, 24)),
    "body.line_spacing": ("line_spacing", float, (1.0, 1.5)),
    "header.left_column_mm": ("header_left_column_mm", float, (45, 90)),
    "header.issuing_body_rule_ratio": ("issuing_body_rule_ratio", float, (0.33, 0.5)),
    "header.summary_rule_ratio": ("summary_rule_ratio", float, (0.33, 0.5)),
    "header.rule_gap_pt": ("rule_gap_pt", float, (1, 6)),
    "closing.left_column_mm": ("closing_left_column_mm", float, (45, 100)),
    "closing.signature_blank_lines": ("signature_blank_lines", int, (2, 8)),
}
_ELEMENT_KEYS = ("size_pt", "bold", "italic", "upper")
# Keys of earlier layout files, now measured from the text: a province's copy may still hold them.
_RETIRED_KEYS = ("header.issuing_body_rule_mm", "header.motto_rule_mm", "header.summary_rule_mm")


def _flatten(data: Mapping[Any, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, f"{dotted}.")
        else:
            yield dotted, value


def _merge(base: Mapping[Any, Any], override: Mapping[Any, Any]) -> dict[Any, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict[Any, Any]:
    try:
        _, data = read_yaml(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LayoutError(path, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise LayoutError(path, "(file)", "is not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(file)"
        raise LayoutError(path, where, f"is not valid YAML ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise LayoutError(path, "(top level)", "must be a mapping of keys to values")
    return data


def _check_value(path: Path, key: str, value: Any, kind: type, limits: Any) -> Any:
    if kind is str:
        if not isinstance(value, str) or not value.strip():
            raise LayoutError(path, key, f"must be a non-empty text, not {value!r}")
        return value.strip()
    if kind is bool:
        if not isinstance(value, bool):
            raise LayoutError(path, key, f"must be true or false, not {value!r}")
        return value
    number_types = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, number_types):
        noun = "a whole number" if kind is int else "a number"
        raise LayoutError(path, key, f"must be {noun}, not {value!r}")
    low, high = limits
    if not low <= value <= high:
        raise LayoutError(path, key, f"{value} is outside the decree's range {low:g}-{high:g}")
    return kind(value)


def _parse_layout(path: Path, data: Mapping[Any, Any]) -> Layout:
    spec: dict[str, tuple[type, Any]] = {
        key: (kind, lim) for key, (_, kind, lim) in _SCALARS.items()
    }
    for name, limits in _SIZE_RANGES.items():
        spec[f"elements.{name}.size_pt"] = (float, limits)
        for flag in _ELEMENT_KEYS[1:]:
            spec[f"elements.{name}.{flag}"] = (bool, None)
    values = dict(_flatten(data))
    for key in _RETIRED_KEYS:
        if values.pop(key, None) is not None:
            logger.warning("%s: %s is no longer used (rules are measured from the text)", path, key)
    for key in values:
        if key not in spec:
            if any(known.startswith(f"{key}.") for known in spec):
                raise LayoutError(path, key, "must be a mapping")
            raise LayoutError(path, key, "is not a layout key")
    checked: dict[str, Any] = {}
    for key, (kind, limits) in spec.items():
        if key not in values:
            raise LayoutError(path, key, "is missing")
        checked[key] = _check_value(path, key, values[key], kind, limits)

    elements = Elements(
        **{
            name: ElementStyle(*(checked[f"elements.{name}.{k}"] for k in _ELEMENT_KEYS))
            for name in _SIZE_RANGES
        }
    )
    layout = Layout(
        **{field: checked[key] for key, (field, _, _) in _SCALARS.items()}, elements=elements
    )
    # The rules must fit their columns and the columns the page.
    header_right = layout.text_width_mm - layout.header_left_column_mm
    if header_right < 80:
        raise LayoutError(path, "header.left_column_mm", "leaves under 80 mm for the motto")
    if layout.text_width_mm - layout.closing_left_column_mm < 60:
        raise LayoutError(path, "closing.left_column_mm", "leaves under 60 mm for the signature")
    return layout


@functools.lru_cache(maxsize=16)
def _load_layout_cached(path: Path, _mtime_ns: int, _size: int) -> Layout:
    data = _read_yaml(path)
    if path != DEFAULT_LAYOUT_PATH:
        data = _merge(_read_yaml(DEFAULT_LAYOUT_PATH), data)
    return _parse_layout(path, data)


def load_layout(path: Path | None = None) -> Layout:
    """Read a layout file (the packaged `layout.yaml` by default) over the packaged defaults.

    Raises `LayoutError` (a `ValueError`) naming the file and the key when the file cannot be read,
    holds an unknown key, or sets a value outside the decree's ranges. Results are cached per file
    and reloaded when the file changes.
    """
    resolved = (path or DEFAULT_LAYOUT_PATH).resolve()
    try:
        stat = resolved.stat()
    except OSError as exc:
        raise LayoutError(resolved, "(file)", f"cannot be read: {exc.strerror or exc}") from exc
    return _load_layout_cached(resolved, stat.st_mtime_ns, stat.st_size)


# --- measuring text -----------------------------------------------------------------------------

# Advance widths of the printable ASCII characters (U+0020-U+007E) in thousandths of an em, for
# Times New Roman and Liberation Serif (its metric twin, which LibreOffice uses in its place): the
# same figures as the PostScript Times fonts' metrics. Keyed by (bold, italic).
_TIMES_ASCII: dict[tuple[bool, bool], tuple[int, ...]] = {
    (False, False): (
        *(250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278),
        *(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444),
        *(921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722),
        *(556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500),
        *(333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500),
        *(500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541),
    ),
    (True, False): (
        *(250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278),
        *(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500),
        *(930, 722, 667, 722, 722, 667, 611, 778, 778, 389, 500, 778, 667, 944, 722, 778),
        *(611, 778, 722, 556, 667, 722, 722, 1000, 722, 722, 667, 333, 278, 333, 581, 500),
        *(333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556, 278, 833, 556, 500),
        *(556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520),
    ),
    (False, True): (
        *(250, 333, 420, 500, 500, 833, 778, 214, 333, 333, 500, 675, 250, 333, 250, 278),
        *(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 675, 675, 675, 500),
        *(920, 611, 611, 667, 722, 611, 611, 722, 722, 333, 444, 667, 556, 833, 667, 722),
        *(611, 722, 611, 500, 556, 722, 611, 833, 611, 556, 556, 389, 278, 389, 422, 500),
        *(333, 500, 500, 444, 500, 444, 278, 500, 500, 278, 278, 444, 278, 722, 500, 500),
        *(500, 500, 389, 389, 278, 500, 444, 667, 444, 444, 389, 400, 275, 400, 541),
    ),
    (True, True): (
        *(250, 389, 555, 500, 500, 833, 778, 278, 333, 333, 500, 570, 250, 333, 250, 278),
        *(500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500),
        *(832, 667, 667, 667, 722, 667, 667, 722, 778, 389, 500, 667, 611, 889, 722, 722),
        *(611, 722, 667, 556, 611, 722, 667, 889, 667, 611, 611, 333, 278, 333, 570, 500),
        *(333, 500, 500, 444, 500, 444, 333, 500, 556, 278, 278, 500, 278, 778, 556, 500),
        *(500, 500, 389, 389, 278, 556, 444, 667, 500, 444, 389, 348, 220, 348, 570),
    ),
}
assert all(len(widths) == 95 for widths in _TIMES_ASCII.values())
# A Vietnamese letter is as wide as its base letter (the marks sit above or below it), except
# that the horn of ơ, ư and Ư sticks out to the right (Ơ's does not); đ and Đ are as wide as d
# and D (Liberation Serif 2's figures, regular and bold alike to within 15 thousandths).
_HORN_EXTRA = {"o": 40, "u": 45, "O": 0, "U": 65}
_BASE_LETTER = {"đ": "d", "Đ": "D"}
_OTHER_WIDTHS = {
    "\u00a0": 250,
    "–": 500,
    "—": 1000,
    "…": 1000,
    "“": 444,
    "”": 444,
    "‘": 333,
    "’": 333,
}
_UNKNOWN_WIDTH = 556  # a character outside the table: a little wider than an average letter
_WIDE_WIDTH = 1000  # CJK and emoji


@functools.lru_cache(maxsize=4096)
def _char_width(char: str, bold: bool, italic: bool) -> int:
    """The advance width of one character in thousandths of an em."""
    table = _TIMES_ASCII[(bold, italic)]
    if " " <= char <= "~":
        return table[ord(char) - 32]
    if char in _OTHER_WIDTHS:
        return _OTHER_WIDTHS[char]
    decomposed = unicodedata.normalize("NFD", _BASE_LETTER.get(char, char))
    base, marks = decomposed[0], decomposed[1:]
    if unicodedata.combining(char):
        return 0
    if " " <= base <= "~":
        return table[ord(base) - 32] + (_HORN_EXTRA.get(base, 0) if "\u031b" in marks else 0)
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return _WIDE_WIDTH
    return _UNKNOWN_WIDTH


def text_width_pt(text: str, size_pt: float, *, bold: bool = False, italic: bool = False) -> float:
    """How wide `text` is set on one line in Times New Roman of `size_pt` points.

    An approximation from per-character advance widths (no kerning), within a few percent of what
    Word and LibreOffice set.
    """
    return sum(_char_width(char, bold, italic) for char in text) * size_pt / 1000


def _style_text(text: str, style: ElementStyle) -> str:
    clean = xml_safe(text)
    return clean.upper() if style.upper else clean


@functools.lru_cache(maxsize=4096)
def styled_width_pt(text: str, style: ElementStyle) -> float:
    """The width of `text` as an element of `style` prints it (upper-cased where it says so)."""
    return text_width_pt(
        _style_text(text, style), style.size_pt, bold=style.bold, italic=style.italic
    )


def line_widths_pt(text: str, style: ElementStyle, available_pt: float) -> list[float]:
    """The widths of the lines `text` breaks into between margins `available_pt` apart.

    Words are filled greedily, as word processors do; a word longer than a line is a line of its
    own (and overflows, as it would on the page). Line breaks in `text` start new lines.
    """
    size, bold, italic = style.size_pt, style.bold, style.italic
    space = _char_width(" ", bold, italic) * size / 1000
    widths: list[float] = []
    for line in _style_text(text, style).split("\n"):
        current = 0.0
        for word in line.split():
            word_width = text_width_pt(word, size, bold=bold, italic=italic)
            if current and current + space + word_width > available_pt:
                widths.append(current)
                current = word_width
            else:
                current += (space if current else 0) + word_width
        widths.append(current)
    return widths


@functools.lru_cache(maxsize=4096)
def longest_word_pt(text: str, style: ElementStyle) -> float:
    """The width of the widest word of `text`: the narrowest a column holding it can be."""
    words = _style_text(text, style).split()
    size, bold, italic = style.size_pt, style.bold, style.italic
    return max((text_width_pt(w, size, bold=bold, italic=italic) for w in words), default=0.0)


_MM_PER_PT = 25.4 / 72
# Room added to a text's measured width where it must stay on one line: the measure is an
# approximation, and a fallback font for a missing letter sets it wider.
_FIT_SLACK = 1.12


@dataclass(frozen=True)
class RuleLengths:
    """How long the short lines under the issuing body, the motto and the summary are, in mm."""

    issuing_body_mm: float
    motto_mm: float
    summary_mm: float


def _header_columns_mm(layout: Layout) -> tuple[float, float]:
    """The room for text in the heading's two cells: each column less its cell margins."""
    left = layout.header_left_column_mm
    return left - _CELL_MARGINS_MM, layout.text_width_mm - left - _CELL_MARGINS_MM


def rule_lengths(document: ReportDocument, layout: Layout) -> RuleLengths:
    """The rules' lengths per Decree 30: under the issuing body and the summary 1/3 to 1/2 of the
    longest line above (the layout's ratio), under the motto as long as the motto; none longer
    than its column."""
    els = layout.elements
    left_mm, right_mm = _header_columns_mm(layout)

    def longest_mm(lines: Sequence[str], style: ElementStyle, available_mm: float) -> float:
        available_pt = available_mm / _MM_PER_PT
        widths = [w for line in lines for w in line_widths_pt(line, style, available_pt)]
        return min(max(widths, default=0.0), available_pt) * _MM_PER_PT

    issuing = longest_mm(document.issuing_body, els.issuing_body, left_mm)
    motto = longest_mm([document.motto], els.motto, right_mm)
    summary = longest_mm([document.summary], els.summary, layout.text_width_mm)
    return RuleLengths(
        issuing_body_mm=round(issuing * layout.issuing_body_rule_ratio, 2),
        motto_mm=round(motto, 2),
        summary_mm=round(summary * layout.summary_rule_ratio, 2),
    )


# --- writing ------------------------------------------------------------------------------------


# python-docx spends about a millisecond formatting each run or paragraph through its API, most of
# it finding where a child element goes. Each distinct format is built once through the API into a
# prototype <w:rPr> / <w:pPr>, and every run or paragraph gets a copy of it.


@dataclass(frozen=True)
class _Para:
    """The format of a paragraph: single-spaced, centred, no space around it unless told."""

    alignment: WD_ALIGN_PARAGRAPH = WD_ALIGN_PARAGRAPH.CENTER
    space_before_pt: float = 0
    space_after_pt: float = 0
    line_spacing: float = 1.0  # a multiple of a single line
    exact_line_pt: float | None = None  # overrides line_spacing
    first_line_indent_cm: float | None = None
    inset_mm: float | None = None  # left and right indent
    rule: bool = False  # a line along the top edge, over an empty line of the rule's height
    keep_with_next: bool = False
    keep_lines: bool = False  # the paragraph's lines on one page
    page_break_before: bool = False


@functools.lru_cache(maxsize=256)
def _rpr_prototype(style: ElementStyle, font_name: str) -> BaseOxmlElement:
    run = OxmlElement("w:r")
    font = Font(run)  # type: ignore[arg-type]  # OxmlElement("w:r") is a CT_R
    font.name = font_name  # sets w:ascii and w:hAnsi only
    rfonts = run.get_or_add_rPr().get_or_add_rFonts()  # type: ignore[attr-defined]
    rfonts.set(qn("w:eastAsia"), font_name)
    rfonts.set(qn("w:cs"), font_name)
    font.size = Pt(style.size_pt)
    font.bold = style.bold
    font.italic = style.italic
    font.color.rgb = _BLACK
    return run[0]


@functools.lru_cache(maxsize=256)
def _ppr_prototype(para: _Para) -> BaseOxmlElement:
    paragraph = OxmlElement("w:p")
    fmt = ParagraphFormat(paragraph)
    fmt.alignment = para.alignment
    fmt.space_before = Pt(para.space_before_pt)
    fmt.space_after = Pt(para.space_after_pt)
    fmt.line_spacing = Pt(para.exact_line_pt) if para.exact_line_pt else para.line_spacing
    if para.first_line_indent_cm is not None:
        fmt.first_line_indent = Cm(para.first_line_indent_cm)
    if para.inset_mm is not None:
        fmt.left_indent = fmt.right_indent = Mm(para.inset_mm)
    if para.keep_with_next:
        fmt.keep_with_next = True
    if para.keep_lines:
        fmt.keep_together = True
    if para.page_break_before:
        fmt.page_break_before = True
    p_pr = paragraph[0]
    if para.rule:
        borders = OxmlElement("w:pBdr")
        top = OxmlElement("w:top")
        for attr, value in (("val", "single"), ("sz", "6"), ("space", "0"), ("color", "000000")):
            top.set(qn(f"w:{attr}"), value)
        borders.append(top)
        p_pr.insert_element_before(borders, *_PBDR_SUCCESSORS)
        # The empty line's mark is as small as the line: a mark in the body's size on a shorter
        # exact line makes LibreOffice lift the line, border and all, into the text above.
        mark = OxmlElement("w:rPr")
        for name in ("w:sz", "w:szCs"):
            size = OxmlElement(name)
            size.set(qn("w:val"), str(2 * _RULE_LINE_PT))
            mark.append(size)
        p_pr.append(mark)  # after <w:jc>, the last child set above
    return p_pr


def _format(paragraph: DocxParagraph, para: _Para = _Para()) -> DocxParagraph:
    p = paragraph._p
    if p.pPr is not None:
        p.remove(p.pPr)
    p.insert(0, copy.deepcopy(_ppr_prototype(para)))
    return paragraph


def _styled_run(paragraph: DocxParagraph, style: ElementStyle, layout: Layout) -> Run:
    run = paragraph.add_run()
    run._r.insert(0, copy.deepcopy(_rpr_prototype(style, layout.font_name)))
    return run


def _add_text(
    paragraph: DocxParagraph, text: str, style: ElementStyle, layout: Layout
) -> DocxParagraph:
    clean = _style_text(text, style)
    run = _styled_run(paragraph, style, layout)
    if "\t" in clean or "\n" in clean:
        run.text = clean  # python-docx turns these into <w:tab/> and <w:br/>
    else:
        # One <w:t> directly: python-docx's text setter walks the text a character at a time.
        element = OxmlElement("w:t")
        element.text = clean
        if clean != clean.strip():
            element.set(qn("xml:space"), "preserve")
        run._r.append(element)
    return paragraph


def _paragraphs_of(cell: _Cell) -> Iterator[DocxParagraph]:
    """Yield a new cell's own empty paragraph, then as many more as asked for."""
    yield cell.paragraphs[0]
    while True:
        yield cell.add_paragraph()


_RULE_LINE_PT = 1  # the height of a rule's empty line, and of its mark's font


def _add_rule(
    paragraph: DocxParagraph,
    length_mm: float,
    available_mm: float,
    layout: Layout,
    *,
    space_after_pt: float = 0,
) -> None:
    """Turn an empty paragraph into a centred line `length_mm` long (its top border).

    The space before it is the gap between the letters above (their line's bottom, below the
    descenders and the dots under ạ, ệ) and the line.
    """
    inset = round(max(0.0, (available_mm - length_mm) / 2), 2)
    para = _Para(
        space_before_pt=layout.rule_gap_pt,
        space_after_pt=space_after_pt,
        exact_line_pt=_RULE_LINE_PT,
        inset_mm=inset,
        rule=True,
    )
    _format(paragraph, para)


def _set_table_borders(table: Table, value: str) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in _TABLE_EDGES:
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), value)
        if value != "nil":
            element.set(qn("w:sz"), "4")
            element.set(qn("w:space"), "0")
            element.set(qn("w:color"), "000000")
        borders.append(element)
    tbl_pr.insert_element_before(borders, *_TBLBORDERS_SUCCESSORS)


def _new_table(doc: DocxDocument, rows: int, widths_mm: tuple[float, ...], borders: str) -> Table:
    table = doc.add_table(rows=rows, cols=len(widths_mm))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _set_table_borders(table, borders)
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    # Each cell's own width, as Word writes it; straight on the <w:tc> elements, since python-docx
    # works out the whole grid each time a row's cells are asked for.
    twips = [str(round(Mm(width).twips)) for width in widths_mm]
    for tr in table._tbl.tr_lst:
        for tc, value in zip(tr.tc_lst, twips, strict=True):
            tc_w = tc.get_or_add_tcPr().get_or_add_tcW()
            tc_w.set(qn("w:w"), value)
            tc_w.set(qn("w:type"), "dxa")
    return table


def _configure_document(doc: DocxDocument, layout: Layout) -> None:
    """Page, margins, default font and spacing, black text, Vietnamese proofing."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(layout.page_width_mm)
    section.page_height = Mm(layout.page_height_mm)
    section.top_margin = Mm(layout.margin_top_mm)
    section.bottom_margin = Mm(layout.margin_bottom_mm)
    section.left_margin = Mm(layout.margin_left_mm)
    section.right_margin = Mm(layout.margin_right_mm)
    section.header_distance = Mm(10)
    section.footer_distance = Mm(10)

    # The template's defaults point at theme fonts (Calibri/Cambria), which win over a plain font
    # name in Word; replace them so even an empty paragraph mark is Times New Roman.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if r_pr is not None:
            rfonts = r_pr.find(qn("w:rFonts"))
            if rfonts is not None:
                rfonts.attrib.clear()
                for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
                    rfonts.set(qn(f"w:{attr}"), layout.font_name)
            lang = r_pr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:val"), "vi-VN")
        spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
        if spacing is not None:
            spacing.attrib.clear()
            spacing.set(qn("w:after"), "0")
            spacing.set(qn("w:line"), "240")
            spacing.set(qn("w:lineRule"), "auto")
    normal = doc.styles["Normal"]
    normal.font.name = layout.font_name
    normal.font.size = Pt(layout.elements.body.size_pt)
    normal.font.color.rgb = _BLACK
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), layout.font_name)


def _write_page_numbers(doc: DocxDocument, layout: Layout) -> None:
    """Centre a PAGE field at the top of every page but the first."""
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False  # an empty header for page 1
    paragraph = _format(section.header.paragraphs[0])
    style = layout.elements.page_number
    for part, payload in (
        ("fldChar", "begin"),
        ("instrText", " PAGE "),
        ("fldChar", "separate"),
        ("t", "2"),
        ("fldChar", "end"),
    ):
        run = _styled_run(paragraph, style, layout)
        element = OxmlElement(f"w:{part}")
        if part == "fldChar":
            element.set(qn("w:fldCharType"), payload)
        else:
            element.text = payload
            element.set(qn("xml:space"), "preserve")
        run._r.append(element)


def _write_heading(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    """Issuing body beside the national title and motto; number beside place and date."""
    els = layout.elements
    left = layout.header_left_column_mm
    table = _new_table(doc, 2, (left, layout.text_width_mm - left), "nil")
    body_cell, nation_cell = table.rows[0].cells
    number_cell, date_cell = table.rows[1].cells
    rules = rule_lengths(document, layout)
    left_room, right_room = _header_columns_mm(layout)

    next_left = _paragraphs_of(body_cell).__next__
    for line in document.issuing_body:
        _add_text(_format(next_left()), line, els.issuing_body, layout)
    _add_rule(next_left(), rules.issuing_body_mm, left_room, layout)

    next_right = _paragraphs_of(nation_cell).__next__
    _add_text(_format(next_right()), document.national_title, els.national_title, layout)
    _add_text(_format(next_right()), document.motto, els.motto, layout)
    _add_rule(next_right(), rules.motto_mm, right_room, layout)

    number = _format(number_cell.paragraphs[0], _Para(space_before_pt=6))
    _add_text(number, document.number_line, els.number, layout)
    place_date = _format(date_cell.paragraphs[0], _Para(space_before_pt=6))
    _add_text(place_date, document.place_date_line, els.place_date, layout)


def _write_title(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    els = layout.elements
    title = _format(doc.add_paragraph(), _Para(space_before_pt=18))
    _add_text(title, document.title, els.title, layout)
    _add_text(_format(doc.add_paragraph()), document.summary, els.summary, layout)
    rule = doc.add_paragraph()
    summary_mm = rule_lengths(document, layout).summary_mm
    _add_rule(rule, summary_mm, layout.text_width_mm, layout, space_after_pt=12)


_BLOCK_STYLES = {
    Block.HEADING_1: "heading_1",
    Block.HEADING_2: "heading_2",
    Block.HEADING_3: "heading_3",
    Block.BODY: "body",
    Block.BULLET: "body",
}
_PLAIN_BLOCKS = (Block.BODY, Block.BULLET)


def _write_body(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    body = _Para(
        alignment=WD_ALIGN_PARAGRAPH.JUSTIFY,
        space_after_pt=layout.space_after_pt,
        line_spacing=layout.line_spacing,
        first_line_indent_cm=layout.first_line_indent_cm,
    )
    heading = dataclasses.replace(body, keep_with_next=True)
    # The closing sentence goes with the signature: a page with only a signature on it is not
    # a page of the report.
    last = dataclasses.replace(body, keep_with_next=True, keep_lines=True)
    for index, block in enumerate(document.body, 1):
        if block.kind not in _PLAIN_BLOCKS:
            para = heading
        else:
            para = last if index == len(document.body) else body
        paragraph = _format(doc.add_paragraph(), para)
        style = getattr(layout.elements, _BLOCK_STYLES[block.kind])
        _add_text(paragraph, block.text, style, layout)


def _cant_split(table: Table) -> None:
    """Keep each row of `table` on one page (Word's "allow row to break across pages" off)."""
    for row in table.rows:
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _write_closing(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    """ "Nơi nhận:" and its list beside the authority, a space to sign, and the signer's name.

    One row that may not break across pages, every paragraph in it kept with the next and its
    lines together, so Word and LibreOffice move the whole block to the next page rather than
    part "TM. ỦY BAN NHÂN DÂN" from "CHỦ TỊCH" or the name.
    """
    els = layout.elements
    left = layout.closing_left_column_mm
    table = _new_table(doc, 1, (left, layout.text_width_mm - left), "nil")
    _cant_split(table)
    recipients_cell, sign_cell = table.rows[0].cells
    kept = _Para(keep_with_next=True, keep_lines=True)
    kept_left = dataclasses.replace(kept, alignment=WD_ALIGN_PARAGRAPH.LEFT)

    next_left = _paragraphs_of(recipients_cell).__next__
    label = _format(next_left(), dataclasses.replace(kept_left, space_before_pt=6))
    _add_text(label, "Nơi nhận:", els.recipients_label, layout)
    for line in document.recipients:
        _add_text(_format(next_left(), kept_left), line, els.recipients, layout)

    next_right = _paragraphs_of(sign_cell).__next__
    for index, line in enumerate(document.authority):
        first = dataclasses.replace(kept, space_before_pt=6 if index == 0 else 0)
        paragraph = _format(next_right(), first)
        _add_text(paragraph, line, els.authority, layout)
    for _ in range(layout.signature_blank_lines):
        _format(next_right(), kept)
    _add_text(_format(next_right(), kept), document.signer_name, els.signer, layout)


def _annex_cells(document: ReportDocument) -> list[tuple[str, str, str, str]]:
    rows = [
        (str(n), item.form, item.result, item.level) for n, item in enumerate(document.annex, 1)
    ]
    return [ANNEX_HEADER, *rows]


def fit_columns(
    columns: Sequence[Sequence[tuple[str, ElementStyle]]],
    available_mm: float,
    *,
    word_slack: float = 1.0,
) -> tuple[float, ...]:
    """Widths (mm) of table columns holding these (text, style) cells, filling `available_mm`.

    A column is never narrower than its widest word, plus the cell margins. When every cell fits
    on one line, each column is as wide as its longest text and the room left is shared in
    proportion. When not, the columns are filled from the shortest text up: each whose longest
    text fits in an equal share of the room still free keeps it on one line (a number, "Đạt",
    "Chưa thực hiện"), and the rest share what remains in proportion to their longest texts,
    which wrap. `word_slack` widens the narrowest a column may be beyond its widest word's
    measure, for tables whose columns are that narrow (the measure is an approximation).
    """
    margin = _CELL_MARGINS_MM
    minimum = [
        margin
        + word_slack * _MM_PER_PT * max((longest_word_pt(t, s) for t, s in cells), default=0.0)
        for cells in columns
    ]
    natural = [
        max(
            low,
            margin
            + _FIT_SLACK * _MM_PER_PT * max((_longest_line_pt(t, s) for t, s in cells), default=0),
        )
        for low, cells in zip(minimum, columns, strict=True)
    ]
    if sum(minimum) >= available_mm:  # words too long for the page: shrink them all alike
        return tuple(width * available_mm / sum(minimum) for width in minimum)
    if sum(natural) <= available_mm:
        return tuple(width * available_mm / sum(natural) for width in natural)
    widths: dict[int, float] = {}
    wrapping = sorted(range(len(columns)), key=lambda i: natural[i])
    while wrapping:
        shortest = wrapping[0]
        if natural[shortest] > (available_mm - sum(widths.values())) / len(wrapping):
            break
        widths[shortest] = natural[shortest]
        wrapping.remove(shortest)
    while wrapping:
        remaining = available_mm - sum(widths.values())
        if remaining < sum(minimum[i] for i in wrapping):
            break  # the one-line columns leave too little: share from the minimum instead
        total = sum(natural[i] for i in wrapping)
        share = {i: remaining * natural[i] / total for i in wrapping}
        narrow = [i for i in wrapping if share[i] < minimum[i]]
        if not narrow:
            widths.update(share)
            return tuple(widths[i] for i in range(len(columns)))
        for i in narrow:
            widths[i] = minimum[i]
            wrapping.remove(i)
    room = available_mm - sum(minimum)
    wants = [high - low for low, high in zip(minimum, natural, strict=True)]
    return tuple(low + room * want / sum(wants) for low, want in zip(minimum, wants, strict=True))


def _longest_line_pt(text: str, style: ElementStyle) -> float:
    return max(styled_width_pt(line, style) for line in text.split("\n"))


def annex_column_widths(document: ReportDocument, layout: Layout) -> tuple[float, ...]:
    """The annex table's column widths in mm, fitted to its cells within the text width."""
    els = layout.elements
    header, *rows = _annex_cells(document)
    columns = [
        [(header[i], els.annex_header), *((row[i], els.annex_cell) for row in rows)]
        for i in range(len(ANNEX_HEADER))
    ]
    return fit_columns(columns, layout.text_width_mm)


def _write_annex(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    els = layout.elements
    subtitle = xml_safe(document.annex_subtitle).strip()
    title = _format(
        doc.add_paragraph(), _Para(space_after_pt=0 if subtitle else 12, page_break_before=True)
    )
    _add_text(title, document.annex_title, els.annex_title, layout)
    if subtitle:
        paragraph = _format(doc.add_paragraph(), _Para(space_after_pt=12))
        _add_text(paragraph, document.annex_subtitle, els.annex_subtitle, layout)

    widths = annex_column_widths(document, layout)
    table = _new_table(doc, 1 + len(document.annex), widths, "single")
    _cant_split(table)
    header_tr, *row_trs = table._tbl.tr_lst
    header_tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page
    padded = _Para(space_before_pt=2, space_after_pt=2)  # the text clear of the cell's lines
    left, centre = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER
    header_style = ((padded, els.annex_header),) * len(ANNEX_HEADER)
    cell_style = tuple(
        (dataclasses.replace(padded, alignment=alignment), els.annex_cell)
        for alignment in (centre, left, left, centre)
    )
    header, *rows = _annex_cells(document)
    for tr, texts, styles in [(header_tr, header, header_style)] + [
        (tr, texts, cell_style) for tr, texts in zip(row_trs, rows, strict=True)
    ]:
        # Straight from the row's <w:tc> elements: `row.cells` works out the table's whole grid.
        for tc, text, (para, style) in zip(tr.tc_lst, texts, styles, strict=True):
            v_align = OxmlElement("w:vAlign")
            v_align.set(qn("w:val"), "center")
            tc.get_or_add_tcPr().append(v_align)  # after <w:tcW>, as the schema orders them
            cell = _Cell(tc, table)
            _add_text(_format(cell.paragraphs[0], para), text, style, layout)


_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


def annex_table_width_mm(table: AnnexTable, layout: Layout) -> float:
    """The room for an annex table: the text width of its page, turned sideways or not (the
    margins stay those of the layout)."""
    if table.landscape:
        return layout.page_height_mm - layout.margin_left_mm - layout.margin_right_mm
    return layout.text_width_mm


def annex_table_column_widths(table: AnnexTable, layout: Layout) -> tuple[float, ...]:
    """The widths (mm) of an annex table's columns, fitted to their headers and cells: each
    column to its own header, its number and its cells; a group's header wraps over the
    columns under it."""
    els = layout.elements
    columns: list[list[tuple[str, ElementStyle]]] = [[] for _ in range(table.columns)]
    for cell in table.header:
        if cell.width == 1:
            columns[cell.column].append((cell.text, els.annex_header))
    for index, column in enumerate(columns):
        if table.numbered:
            column.append((f"({index + 1})", els.annex_cell))
        column.extend((row[index], els.annex_cell) for row in table.rows)
    # Narrow columns of figures: a figure or a word broken over two lines would misread.
    return fit_columns(columns, annex_table_width_mm(table, layout), word_slack=_FIT_SLACK)


def _write_annex_table(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    """The annex as the table its file describes, after a page break: on a page of its own
    turned sideways when the table asks for it (a wide national table does not fit the
    portrait text width in the decree's type sizes), else on the report's portrait pages."""
    annex = document.annex_table
    assert annex is not None
    els = layout.elements
    if annex.landscape:
        section = doc.add_section(WD_SECTION.NEW_PAGE)
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width = Mm(layout.page_height_mm)
        section.page_height = Mm(layout.page_width_mm)
        # The section copies the first page's setting; its pages carry their numbers.
        section.different_first_page_header_footer = False
    subtitle = xml_safe(document.annex_subtitle).strip()
    title = _format(
        doc.add_paragraph(),
        _Para(space_after_pt=0 if subtitle else 12, page_break_before=not annex.landscape),
    )
    _add_text(title, document.annex_title, els.annex_title, layout)
    if subtitle:
        paragraph = _format(doc.add_paragraph(), _Para(space_after_pt=12))
        _add_text(paragraph, document.annex_subtitle, els.annex_subtitle, layout)
    if annex.unit_note:
        note = _format(doc.add_paragraph(), _Para(alignment=WD_ALIGN_PARAGRAPH.RIGHT))
        _add_text(note, annex.unit_note, els.annex_subtitle, layout)

    widths = annex_table_column_widths(annex, layout)
    heading_rows = annex.header_rows + (1 if annex.numbered else 0)
    table = _new_table(doc, heading_rows + len(annex.rows), widths, "single")
    _cant_split(table)
    for tr in table._tbl.tr_lst[:heading_rows]:
        tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page
    padded = _Para(space_before_pt=2, space_after_pt=2)  # the text clear of the cell's lines

    def write(cell: _Cell, text: str, para: _Para, style: ElementStyle) -> None:
        v_align = OxmlElement("w:vAlign")
        v_align.set(qn("w:val"), "center")
        cell._tc.get_or_add_tcPr().append(v_align)
        _add_text(_format(cell.paragraphs[0], para), text, style, layout)

    for header in annex.header:
        cell = table.cell(header.row, header.column)
        last_row, last_column = header.row + header.height - 1, header.column + header.width - 1
        if (last_row, last_column) != (header.row, header.column):
            cell = cell.merge(table.cell(last_row, last_column))
        write(cell, header.text, padded, els.annex_header)
    if annex.numbered:
        for index in range(annex.columns):
            cell = table.cell(annex.header_rows, index)
            write(cell, f"({index + 1})", padded, els.annex_cell)
    for row_index, row in enumerate(annex.rows, heading_rows):
        for index, (text, align) in enumerate(zip(row, annex.alignments, strict=True)):
            para = dataclasses.replace(padded, alignment=_ALIGN[align])
            write(table.cell(row_index, index), text, para, els.annex_cell)


def property_text(text: str) -> str:
    """`text` as a document property: one line, at most the 255 characters python-docx allows."""
    line = " ".join(xml_safe(text).split())
    return line if len(line) <= _MAX_PROPERTY else line[: _MAX_PROPERTY - 1] + "…"


_MAX_PROPERTY = 255


def _set_properties(doc: DocxDocument, document: ReportDocument) -> None:
    props = doc.core_properties
    now = datetime.now(UTC).replace(microsecond=0)
    props.title = property_text(document.summary)
    props.author = property_text(" ".join(document.issuing_body))
    props.last_modified_by = props.author
    props.subject = props.keywords = props.comments = props.category = ""
    props.created = props.modified = now
    props.revision = 1


def render_docx(document: ReportDocument, layout: Layout) -> DocxDocument:
    """Build the python-docx document for `document` without saving it."""
    doc = Document()
    _configure_document(doc, layout)
    _write_page_numbers(doc, layout)
    _write_heading(doc, document, layout)
    _write_title(doc, document, layout)
    _write_body(doc, document, layout)
    _write_closing(doc, document, layout)
    if document.annex_table is not None:
        _write_annex_table(doc, document, layout)
    elif document.annex:
        _write_annex(doc, document, layout)
    _set_properties(doc, document)
    return doc


def write_docx(document: ReportDocument, path: Path, *, layout: Layout | None = None) -> Path:
    """Write `document` to `path` as a Decree 30 .docx and return `path`.

    The file is written next to `path` and renamed into place, so a reader never sees half a file.
    """
    doc = render_docx(document, layout or load_layout())
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        doc.save(temporary)
        # mkstemp makes the file private (0600); a finished report is as readable as any file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def docx_bytes(document: ReportDocument, *, layout: Layout | None = None) -> bytes:
    """The .docx of `document` in memory, for storing in the database and sending."""
    buffer = io.BytesIO()
    render_docx(document, layout or load_layout()).save(buffer)
    return buffer.getvalue()
