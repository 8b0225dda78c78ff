"""Write a `ReportDocument` as a .docx laid out per Decree 30/2020/NĐ-CP, Appendix I.

Sizes, margins and type come from `layout.yaml` (see `load_layout`), so a province can adjust them
within the decree's ranges without touching Python. Every piece of text goes in as run text, after
`xml_safe` has removed what XML 1.0 forbids, so no input can break the file.

The short lines under the issuing body, the motto and the summary are drawn as the top border of an
empty, centred "rule" paragraph whose left and right indents leave the line as long as the layout
says (a paragraph border spans the paragraph's width between its indents). Unlike a drawn shape,
python-docx reads this back, so tests can check it, and it moves with the text.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import io
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
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

from conversations.forms import StrictYamlLoader
from report_templates.document import Block, ReportDocument

DEFAULT_LAYOUT_PATH = Path(__file__).with_name("layout.yaml")

ANNEX_HEADER = ("TT", "Hình thức tuyên truyền", "Kết quả", "Mức độ")
ANNEX_COLUMNS_MM = (12.0, 58.0, 70.0, 25.0)  # scaled to the text width at render time

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
    issuing_body_rule_mm: float
    motto_rule_mm: float
    summary_rule_mm: float
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
    "header.issuing_body_rule_mm": ("issuing_body_rule_mm", float, (10, 45)),
    "header.motto_rule_mm": ("motto_rule_mm", float, (30, 95)),
    "header.summary_rule_mm": ("summary_rule_mm", float, (10, 80)),
    "closing.left_column_mm": ("closing_left_column_mm", float, (45, 100)),
    "closing.signature_blank_lines": ("signature_blank_lines", int, (2, 8)),
}
_ELEMENT_KEYS = ("size_pt", "bold", "italic", "upper")


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
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictYamlLoader)
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
    if layout.issuing_body_rule_mm > layout.header_left_column_mm - 5:
        raise LayoutError(path, "header.issuing_body_rule_mm", "is wider than its column")
    if layout.motto_rule_mm > header_right - 5:
        raise LayoutError(path, "header.motto_rule_mm", "is wider than its column")
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
    rule: bool = False  # a line along the top edge
    keep_with_next: bool = False
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
    if para.page_break_before:
        fmt.page_break_before = True
    p_pr = paragraph[0]
    if para.rule:
        borders = OxmlElement("w:pBdr")
        top = OxmlElement("w:top")
        for attr, value in (("val", "single"), ("sz", "6"), ("space", "1"), ("color", "000000")):
            top.set(qn(f"w:{attr}"), value)
        borders.append(top)
        p_pr.insert_element_before(borders, *_PBDR_SUCCESSORS)
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
    clean = xml_safe(text)
    _styled_run(paragraph, style, layout).text = clean.upper() if style.upper else clean
    return paragraph


def _paragraphs_of(cell: _Cell) -> Iterator[DocxParagraph]:
    """Yield a new cell's own empty paragraph, then as many more as asked for."""
    yield cell.paragraphs[0]
    while True:
        yield cell.add_paragraph()


def _add_rule(
    paragraph: DocxParagraph, length_mm: float, available_mm: float, *, space_after_pt: float = 0
) -> None:
    """Turn an empty paragraph into a centred line `length_mm` long (its top border).

    The exact 6 pt line height keeps the line right under the text above it.
    """
    inset = round(max(0.0, (available_mm - length_mm) / 2), 2)
    _format(
        paragraph, _Para(space_after_pt=space_after_pt, exact_line_pt=6, inset_mm=inset, rule=True)
    )


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
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
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
    right = layout.text_width_mm - left
    table = _new_table(doc, 2, (left, right), "nil")
    body_cell, nation_cell = table.rows[0].cells
    number_cell, date_cell = table.rows[1].cells

    next_left = _paragraphs_of(body_cell).__next__
    for line in document.issuing_body:
        _add_text(_format(next_left()), line, els.issuing_body, layout)
    _add_rule(next_left(), layout.issuing_body_rule_mm, left - _CELL_MARGINS_MM)

    next_right = _paragraphs_of(nation_cell).__next__
    _add_text(_format(next_right()), document.national_title, els.national_title, layout)
    _add_text(_format(next_right()), document.motto, els.motto, layout)
    _add_rule(next_right(), layout.motto_rule_mm, right - _CELL_MARGINS_MM)

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
    _add_rule(rule, layout.summary_rule_mm, layout.text_width_mm, space_after_pt=12)


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
    for block in document.body:
        paragraph = _format(doc.add_paragraph(), body if block.kind in _PLAIN_BLOCKS else heading)
        style = getattr(layout.elements, _BLOCK_STYLES[block.kind])
        _add_text(paragraph, block.text, style, layout)


def _write_closing(doc: DocxDocument, document: ReportDocument, layout: Layout) -> None:
    """ "Nơi nhận:" and its list beside the authority, a space to sign, and the signer's name."""
    els = layout.elements
    left = layout.closing_left_column_mm
    table = _new_table(doc, 1, (left, layout.text_width_mm - left), "nil")
    recipients_cell, sign_cell = table.rows[0].cells

    next_left = _paragraphs_of(recipients_cell).__next__
    label = _format(next_left(), _Para(WD_ALIGN_PARAGRAPH.LEFT, space_before_pt=6))
    _add_text(label, "Nơi nhận:", els.recipients_label, layout)
    for line in document.recipients:
        _add_text(
            _format(next_left(), _Para(WD_ALIGN_PARAGRAPH.LEFT)), line, els.recipients, layout
        )

    next_right = _paragraphs_of(sign_cell).__next__
    for index, line in enumerate(document.authority):
        paragraph = _format(next_right(), _Para(space_before_pt=6 if index == 0 else 0))
        _add_text(paragraph, line, els.authority, layout)
    for _ in range(layout.signature_blank_lines):
        _format(next_right())
    _add_text(_format(next_right()), document.signer_name, els.signer, layout)


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

    scale = layout.text_width_mm / sum(ANNEX_COLUMNS_MM)
    widths = tuple(width * scale for width in ANNEX_COLUMNS_MM)
    table = _new_table(doc, 1 + len(document.annex), widths, "single")
    header_row = table.rows[0]
    header_row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))  # repeat on each page
    for cell, text in zip(header_row.cells, ANNEX_HEADER, strict=True):
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        _add_text(_format(cell.paragraphs[0]), text, els.annex_header, layout)
    left, centre = WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER
    for number, (row, item) in enumerate(zip(table.rows[1:], document.annex, strict=True), 1):
        texts = (str(number), item.form, item.result, item.level)
        for cell, text, alignment in zip(
            row.cells, texts, (centre, left, left, centre), strict=True
        ):
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            _add_text(_format(cell.paragraphs[0], _Para(alignment)), text, els.annex_cell, layout)


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
    if document.annex:
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
