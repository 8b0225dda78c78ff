"""A report kind's annex file (`annex.yaml`): what is attached after the signature, checked on
load so that a mistake is named by file, line and key before any report is drafted.

The file takes one of two shapes:

* `rows:` the CCHC report's "BIỂU TỔNG HỢP" (report_kinds/cchc/annex.yaml): a row per form of
  publicity in four fixed columns, "TT", "Hình thức tuyên truyền", "Kết quả", "Mức độ";
* `table:` a table that describes itself (report_kinds/tthc/annex.yaml): its columns, left to
  right, each either a group of columns under one merged header or a column of cells holding
  the same words in every row (`text:`), an answer's figure (`answer:`) or the sum of several
  answers' figures (`sum:`), so a total always adds up its parts.

`title:` (optional, both shapes) is the annex's heading; it and a table's `text:` may name
{unit_kind}, {unit_name} and {period}.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from definitions.forms import Question, read_yaml, yaml_line_of
from report_templates.document import HeaderCell

DEFAULT_TITLE = "BIỂU TỔNG HỢP"
# What the annex's words may name, filled in for each report.
PLACEHOLDERS = ("unit_kind", "unit_name", "period")
ALIGNMENTS = ("left", "center", "right")
ORIENTATIONS = ("portrait", "landscape")
_FILE_KEYS = ("include", "title", "rows", "table")


class AnnexFileError(ValueError):
    """The annex file is broken; the message is "<file>:<line>: <key>: <problem>"."""


@dataclass(frozen=True)
class AnnexCount:
    answer: str
    unit: str = ""
    format: str = "count"  # count | minutes | percent


@dataclass(frozen=True)
class AnnexCondition:
    answer: str
    equals: Any = None


@dataclass(frozen=True)
class AnnexSpec:
    form: str
    counts: tuple[AnnexCount, ...]
    only_when: AnnexCondition | None = None  # the row is left out unless this holds


@dataclass(frozen=True)
class TableColumn:
    """A column of an annex table, or a group of them under one header."""

    header: str
    columns: tuple[TableColumn, ...] = ()  # a group's columns; none for a column of cells
    text: str | None = None  # the same words in every row
    parts: tuple[str, ...] = ()  # the answers whose figures the cell adds up (one: the answer)
    figure_format: str = "count"  # how the cell's figure reads: count | minutes | percent
    align: str = "center"

    @property
    def is_group(self) -> bool:
        return bool(self.columns)

    def leaves(self) -> Iterator[TableColumn]:
        """The columns of cells under this one, left to right (itself when it is one)."""
        if not self.is_group:
            yield self
        for column in self.columns:
            yield from column.leaves()

    @property
    def depth(self) -> int:
        """How many header rows the column's headers take."""
        return 1 + max((column.depth for column in self.columns), default=0)


@dataclass(frozen=True)
class TableSpec:
    columns: tuple[TableColumn, ...]
    landscape: bool = False
    numbered: bool = False
    unit_note: str = ""

    def leaves(self) -> list[TableColumn]:
        return [leaf for column in self.columns for leaf in column.leaves()]

    def header(self) -> tuple[tuple[HeaderCell, ...], int]:
        """The header's cells on the columns' grid, and how many rows it takes: a group's
        header spans its columns on one row; a column's own header reaches the bottom row."""
        rows = max(column.depth for column in self.columns)
        cells: list[HeaderCell] = []

        def place(column: TableColumn, row: int, first: int) -> int:
            if not column.is_group:
                cells.append(HeaderCell(column.header, row, first, 1, rows - row))
                return first + 1
            width = sum(1 for _ in column.leaves())
            cells.append(HeaderCell(column.header, row, first, width, 1))
            for child in column.columns:
                first = place(child, row + 1, first)
            return first

        first = 0
        for column in self.columns:
            first = place(column, 0, first)
        return tuple(cells), rows


@dataclass(frozen=True)
class AnnexFile:
    include: bool  # attach the annex unless a report says otherwise
    title: str
    rows: tuple[AnnexSpec, ...] = ()
    table: TableSpec | None = None


class _Problem(Exception):
    def __init__(self, path: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


def load_annex(path: Path, codes: Sequence[str], questions: Mapping[str, Question]) -> AnnexFile:
    """Read and check an annex file: `codes` are what rows may name (a form's question codes,
    with earlier versions' for CCHC), `questions` the form's questions a table's cells read."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnexFileError(f"{path}:1: cannot read the annex file ({exc})") from exc
    try:
        root, data = read_yaml(text)  # safe tags only: plain data
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise AnnexFileError(f"{path}:{line}: not valid YAML ({problem})") from exc
    try:
        return _parse_annex(data, codes, questions)
    except _Problem as problem:
        where = ".".join(str(part) for part in problem.path) or "(top)"
        line = yaml_line_of(root, problem.path)
        raise AnnexFileError(f"{path}:{line}: {where}: {problem.message}") from None


def _parse_annex(data: Any, codes: Sequence[str], questions: Mapping[str, Question]) -> AnnexFile:
    if not isinstance(data, dict):
        raise _Problem((), "the annex file is a mapping of include, title and rows or table")
    for key in data:
        if key not in _FILE_KEYS:
            raise _Problem((str(key),), f"unknown key {key!r} (use {', '.join(_FILE_KEYS)})")
    if ("rows" in data) == ("table" in data):
        raise _Problem((), "give either rows (the four-column summary) or table, not both")
    include = data.get("include", False)
    if not isinstance(include, bool):
        raise _Problem(("include",), "include must be true or false")
    title = _words(data.get("title", DEFAULT_TITLE), ("title",))
    if "table" in data:
        return AnnexFile(include, title, table=_parse_table(data["table"], ("table",), questions))
    rows = data["rows"]
    if not isinstance(rows, list) or not rows:
        raise _Problem(("rows",), "rows must be a non-empty list")
    parsed = tuple(_parse_row(row, ("rows", index), codes) for index, row in enumerate(rows))
    return AnnexFile(include, title, rows=parsed)


# ----- rows: the four-column summary ----------------------------------------------------------


def _parse_row(row: Any, at: tuple[str | int, ...], codes: Sequence[str]) -> AnnexSpec:
    if isinstance(row, dict) and "dat_khi" in row:
        raise _Problem(
            (*at, "dat_khi"),
            "dat_khi is no longer read: a row is Đạt when the commune did what it names",
        )
    _expect_keys(row, at, required={"form", "counts"}, optional={"chi_khi"})
    form = row["form"]
    if not isinstance(form, str) or not form.strip():
        raise _Problem((*at, "form"), "form must be a non-empty text")
    counts = row["counts"]
    if not isinstance(counts, list) or not counts:
        raise _Problem((*at, "counts"), "counts must be a non-empty list")
    parsed_counts = tuple(
        _parse_count(count, (*at, "counts", index), codes) for index, count in enumerate(counts)
    )
    only_when = (
        _parse_condition(row["chi_khi"], (*at, "chi_khi"), codes) if "chi_khi" in row else None
    )
    return AnnexSpec(form.strip(), parsed_counts, only_when)


def _parse_count(count: Any, at: tuple[str | int, ...], codes: Sequence[str]) -> AnnexCount:
    _expect_keys(count, at, required={"answer"}, optional={"unit", "format"})
    answer = _answer_code(count["answer"], (*at, "answer"), codes)
    unit = count.get("unit", "")
    if not isinstance(unit, str):
        raise _Problem((*at, "unit"), "unit must be a text")
    kind = count.get("format", "count")
    if kind not in ("count", "minutes", "percent"):
        raise _Problem((*at, "format"), "format must be count, minutes or percent")
    return AnnexCount(answer, unit.strip(), kind)


def _parse_condition(rule: Any, at: tuple[str | int, ...], codes: Sequence[str]) -> AnnexCondition:
    _expect_keys(rule, at, required={"answer", "equals"}, optional=set())
    answer = _answer_code(rule["answer"], (*at, "answer"), codes)
    return AnnexCondition(answer, equals=rule["equals"])


# ----- table: columns of its own ----------------------------------------------------------------

_CELL_KEYS = ("columns", "text", "answer", "sum")


def _parse_table(
    table: Any, at: tuple[str | int, ...], questions: Mapping[str, Question]
) -> TableSpec:
    _expect_keys(table, at, required={"columns"}, optional={"orientation", "numbered", "unit_note"})
    orientation = table.get("orientation", "portrait")
    if orientation not in ORIENTATIONS:
        raise _Problem((*at, "orientation"), "orientation must be portrait or landscape")
    numbered = table.get("numbered", False)
    if not isinstance(numbered, bool):
        raise _Problem((*at, "numbered"), "numbered must be true or false")
    unit_note = table.get("unit_note", "")
    if not isinstance(unit_note, str):
        raise _Problem((*at, "unit_note"), "unit_note must be a text")
    columns = _parse_columns(table["columns"], (*at, "columns"), questions)
    spec = TableSpec(columns, orientation == "landscape", numbered, unit_note.strip())
    if all(leaf.text is not None for leaf in spec.leaves()):
        raise _Problem((*at, "columns"), "no column holds a figure (answer or sum)")
    return spec


def _parse_columns(
    columns: Any, at: tuple[str | int, ...], questions: Mapping[str, Question]
) -> tuple[TableColumn, ...]:
    if not isinstance(columns, list) or not columns:
        raise _Problem(at, "columns must be a non-empty list")
    return tuple(
        _parse_column(column, (*at, index), questions) for index, column in enumerate(columns)
    )


def _parse_column(
    column: Any, at: tuple[str | int, ...], questions: Mapping[str, Question]
) -> TableColumn:
    _expect_keys(column, at, required={"header"}, optional={*_CELL_KEYS, "align"})
    header = column["header"]
    if not isinstance(header, str) or not header.strip():
        raise _Problem((*at, "header"), "header must be a non-empty text")
    header = " ".join(header.split())
    given = [key for key in _CELL_KEYS if key in column]
    if len(given) != 1:
        raise _Problem(
            at,
            "give one of columns (a group of columns), text (the same words in every row), "
            "answer (a figure) or sum (figures added up)",
        )
    (content,) = given
    if content == "columns":
        if "align" in column:
            raise _Problem((*at, "align"), "align applies to a column of cells, not a group")
        return TableColumn(header, _parse_columns(column["columns"], (*at, "columns"), questions))
    align = column.get("align", "center")
    if align not in ALIGNMENTS:
        raise _Problem((*at, "align"), f"align must be {', '.join(ALIGNMENTS)}")
    if content == "text":
        return TableColumn(header, text=_words(column["text"], (*at, "text")), align=align)
    if content == "answer":
        code = column["answer"]
        question = _figure_question(code, (*at, "answer"), questions)
        return TableColumn(
            header, parts=(code,), figure_format=_figure_format(question), align=align
        )
    parts = column["sum"]
    if not isinstance(parts, list) or len(parts) < 2:
        raise _Problem((*at, "sum"), "sum adds two or more answers (for one, use answer)")
    formats = []
    for index, code in enumerate(parts):
        where = (*at, "sum", index)
        question = _figure_question(code, where, questions)
        if not question.answer_type.is_amount:
            raise _Problem(
                where,
                f"{code!r} is a {question.type} question, which does not add up: "
                "sum adds counts (or minutes)",
            )
        if code in parts[:index]:
            raise _Problem(where, f"{code!r} is added twice")
        formats.append(_figure_format(question))
    if len(set(formats)) > 1:
        raise _Problem((*at, "sum"), "sum adds figures of one kind: counts or minutes, not both")
    return TableColumn(header, parts=tuple(parts), figure_format=formats[0], align=align)


def _figure_question(
    code: Any, at: tuple[str | int, ...], questions: Mapping[str, Question]
) -> Question:
    question = questions.get(code) if isinstance(code, str) else None
    if question is None:
        raise _Problem(at, f"{code!r} is not a question code of the form")
    if not question.answer_type.is_number:
        raise _Problem(at, f"{code!r} is a {question.type} question: a table cell holds a figure")
    return question


def _figure_format(question: Question) -> str:
    return question.answer_type.figure_format or "count"


def _words(value: Any, at: tuple[str | int, ...]) -> str:
    """A text of the annex, whose {placeholders} must be ones the annex fills."""
    if not isinstance(value, str) or not value.strip():
        raise _Problem(at, "must be a non-empty text")
    try:
        named = [name for _, name, _, _ in string.Formatter().parse(value) if name is not None]
    except ValueError as exc:
        raise _Problem(at, f"a brace is not closed ({exc}); write {{{{ for a brace") from None
    for name in named:
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            raise _Problem(at, f"{{{name}}} is not something the annex fills (use {known})")
    return " ".join(value.split())


# ----- shared -----------------------------------------------------------------------------------


def _expect_keys(
    value: Any, at: tuple[str | int, ...], *, required: set[str], optional: set[str]
) -> None:
    if not isinstance(value, dict):
        raise _Problem(at, f"must be a mapping with {', '.join(sorted(required))}")
    for key in value:
        if key not in required | optional:
            raise _Problem((*at, str(key)), f"unknown key {key!r}")
    for key in sorted(required):
        if key not in value:
            raise _Problem(at, f"{key} is missing")


def _answer_code(value: Any, at: tuple[str | int, ...], codes: Sequence[str]) -> str:
    if value not in codes:
        raise _Problem(at, f"{value!r} is not a question code of the form")
    return str(value)
