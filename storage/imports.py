"""Import units and people from CSV or .xlsx files, all or nothing.

Every row is checked before anything is written; a file with any bad row changes nothing and
the error names the file and the row (numbered as a spreadsheet shows it, header = row 1).
Re-importing the same file is a no-op; a changed row updates the record it names.
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import audit
from storage.models import (
    COMMUNE_LEVEL_KINDS,
    Membership,
    Person,
    Role,
    SectionAssignment,
    Unit,
    UnitKind,
)
from storage.units import MAX_RECIPIENT_LENGTH, MAX_RECIPIENTS, overlong, split_recipients

MAX_ERRORS_SHOWN = 20
MAX_NAME_LENGTH = 200

# Bounds on what a file may hold, checked as it is read so a hostile or mistaken file is refused
# early, in seconds and without holding it in memory. A country has about 3,400 units and a few
# tens of thousands of people; twice 100,000 leaves room for any province's list.
MAX_ROWS = 200_000  # data rows, the header not counted
MAX_CELL_LENGTH = 5_000  # the longest legitimate cell is a recipients list (12 x 200)
MAX_COLUMNS = 50  # cells further right in an .xlsx are not read
MAX_SHEET_BYTES = 256 * 2**20  # a worksheet's XML, unpacked: streamed, but it takes time
MAX_PART_BYTES = 64 * 2**20  # any other XML part (shared strings, styles): held in memory
# C0 and C1 controls but tab and line breaks, and the two non-characters: an .xlsx cannot hold
# them (openpyxl refuses to write the compiled table) and a .docx neither.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# What surrogateescape makes of a byte that is not valid in the file's encoding.
UNDECODED = re.compile("[\udc80-\udcff]")

UNIT_COLUMNS = (
    "code",
    "name",
    "kind",
    "parent_code",
    "office_code",
    "recipients",  # optional: a commune's "Nơi nhận" lines, separated by ";" or line breaks
)
# The recipients column may also be headed as the report calls it.
RECIPIENTS_COLUMNS = ("recipients", "noi_nhan")
PEOPLE_COLUMNS = (
    "unit_code",
    "role",
    "full_name",
    "title",
    "phone",
    "telegram_user_id",
    "sections",  # optional: the questionnaire sections this person answers for the commune
    "signs",  # optional: "x" marks the vice-chairman who approves and signs like the chairman
)
SIGNS_YES = frozenset({"x", "co", "yes", "y", "1", "true"})
SIGNS_NO = frozenset({"", "khong", "no", "n", "0", "false"})

# Administrators write kinds and roles in Vietnamese; both spellings are accepted.
KIND_ALIASES: dict[str, UnitKind] = {
    "tinh": UnitKind.PROVINCE,
    "thanh pho": UnitKind.CITY,
    "huyen": UnitKind.DISTRICT,
    "xa": UnitKind.COMMUNE,
    "phuong": UnitKind.WARD,
    "dac khu": UnitKind.SPECIAL_ZONE,
    "thi tran": UnitKind.TOWNSHIP,
    "co quan": UnitKind.OFFICE,
    "co quan tiep nhan": UnitKind.OFFICE,
}
ROLE_ALIASES: dict[str, Role] = {
    "can bo": Role.OFFICER,
    "cong chuc": Role.OFFICER,
    "chu tich": Role.CHAIRMAN,
    "pho chu tich": Role.VICE_CHAIRMAN,
    "van thu": Role.CLERK,
    "co quan tiep nhan": Role.OFFICE,
    "quan tri": Role.ADMIN,
    "quan tri vien": Role.ADMIN,
}
COMMUNE_ROLES = frozenset({Role.OFFICER, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK})


class ImportFileError(Exception):
    """The file cannot be imported; the message lists each problem by file and row."""


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, so "Đặc khu" matches "dac khu"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return " ".join(stripped.lower().replace("_", " ").replace("-", " ").split())


def clean(value: object) -> str:
    """A cell as trimmed text in NFC (Excel may hand us ints, floats or decomposed Unicode)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def read_rows(path: Path, expected: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (spreadsheet row number, row) from a CSV or .xlsx file with a header row.

    Rows are numbered as a spreadsheet shows them (a quoted cell's line breaks stay in its row).
    A file past MAX_ROWS or a cell past MAX_CELL_LENGTH is refused where it is met; cells with
    control characters are listed once the file is read, and those rows are not yielded.
    """
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file")
    suffix = path.suffix.lower()
    rows: Iterator[list[Any]]
    if suffix == ".xlsx":
        rows = _xlsx_rows(path)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(path)
    else:
        raise ImportFileError(f"{path}: use a .csv or .xlsx file")
    header_row = next(rows, None)
    if header_row is None:
        raise ImportFileError(f"{path}: the file is empty")
    header = [clean(cell).lower() for cell in header_row]
    missing = [name for name in expected[:3] if name not in header]
    if missing:
        raise ImportFileError(
            f"{path}, row 1: missing column(s) {', '.join(missing)}; "
            f"expected columns: {', '.join(expected)}"
        )
    unreadable: list[str] = []
    for number, cells in enumerate(rows, start=2):
        values = [clean(cell) for cell in cells]
        if not any(values):
            continue  # blank lines are common at the end of spreadsheets
        if number > MAX_ROWS + 1:
            raise ImportFileError(
                f"{path}, row {number}: more than {MAX_ROWS:,} rows; split the file"
            )
        if max(map(len, values)) > MAX_CELL_LENGTH or CONTROL_CHARACTERS.search("".join(values)):
            problems = _cell_problems(path, number, header, values)
            if problems:
                unreadable.append(f"row {number}: " + "; ".join(problems))
                continue
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)}
        yield number, row
    _raise_if_errors(path, unreadable)


def _cell_problems(path: Path, number: int, header: list[str], values: list[str]) -> list[str]:
    """The control characters in a row's cells; a cell past MAX_CELL_LENGTH refuses the file."""
    problems = []
    for index, value in enumerate(values):
        column = header[index] if index < len(header) and header[index] else f"column {index + 1}"
        if len(value) > MAX_CELL_LENGTH:
            raise ImportFileError(
                f"{path}, row {number}: {column} holds {len(value):,} characters; "
                f"at most {MAX_CELL_LENGTH:,}"
            )
        found = CONTROL_CHARACTERS.search(value)
        if found is not None:
            problems.append(
                f"{column} holds the control character U+{ord(found.group()):04X}; retype the cell"
            )
    return problems


def _csv_encoding(path: Path) -> str:
    """UTF-8 (Excel writes a BOM, others do not), or UTF-16 with or without its BOM."""
    with path.open("rb") as source:
        head = source.read(4096)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"  # Excel's "Unicode Text"
    # UTF-16 without a BOM decodes as UTF-8 full of NULs (and then lacks every column): in its
    # header and in Latin letters every other byte is zero.
    pairs = len(head) // 2
    even, odd = head[0 : pairs * 2 : 2].count(0), head[1 : pairs * 2 : 2].count(0)
    if pairs and odd > pairs // 3 and even < odd // 8:
        return "utf-16-le"
    if pairs and even > pairs // 3 and odd < even // 8:
        return "utf-16-be"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[list[str]]:
    encoding = _csv_encoding(path)
    number = 0
    # Streamed, not read whole; newline="" hands line breaks to the csv module, which splits
    # records on CR and LF only (VT, FF or U+2028 inside a cell stay in it, as in Excel).
    # Undecodable bytes become lone surrogates, so the record that holds one is named exactly
    # (a decoding error would surface a whole read-ahead chunk early).
    with path.open(encoding=encoding, errors="surrogateescape", newline="") as source:
        first_line = source.readline()
        counts = {mark: first_line.count(mark) for mark in (",", ";", "\t")}
        delimiter = max(counts, key=lambda mark: counts[mark])
        lines = itertools.chain([first_line], source) if first_line else iter(())
        records = csv.reader(lines, delimiter=delimiter)
        try:
            for number, record in enumerate(records, start=1):
                if any(UNDECODED.search(cell) for cell in record):
                    wanted = "UTF-8" if encoding.startswith("utf-8") else "UTF-16"
                    raise ImportFileError(
                        f"{path}, row {number}: not {wanted} text (save the CSV as UTF-8)"
                    )
                yield record
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = (
                    f"a cell longer than {csv.field_size_limit():,} characters "
                    "(or a quotation mark that is never closed)"
                )
            raise ImportFileError(f"{path}, row {number + 1}: {reason}") from exc


def _check_xlsx_parts(path: Path) -> None:
    """Refuse before parsing a part that unpacks too large: openpyxl holds the shared strings
    and styles in memory, and a small file can unpack to gigabytes (zipfile stops reading a
    part at its declared size, so the declared sizes bound what is read)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"{path}: not a readable .xlsx file ({exc})") from exc
    for part in parts:
        if not part.filename.endswith((".xml", ".rels")):
            continue  # pictures and the like are not read
        limit = MAX_SHEET_BYTES if part.filename.startswith("xl/worksheets/") else MAX_PART_BYTES
        if part.file_size > limit:
            raise ImportFileError(
                f"{path}: not imported, its part {part.filename} unpacks to "
                f"{part.file_size / 2**20:,.0f} MB (at most {limit // 2**20} MB); "
                "save the sheet alone as a new file or as CSV"
            )


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from lxml.etree import LxmlError
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    _check_xlsx_parts(path)
    broken = (SyntaxError, LxmlError, zipfile.BadZipFile, OSError, KeyError, ValueError)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, IndexError, TypeError, *broken) as exc:
        raise ImportFileError(f"{path}: not a readable .xlsx file ({exc})") from exc
    try:
        if not workbook.worksheets:
            raise ImportFileError(f"{path}: the workbook has no sheet")
        sheet = workbook.worksheets[0]
        # The declared size can say A1:XFD1048576 for one cell, and openpyxl would pad every
        # row to it: read the cells that are there, and no further right than MAX_COLUMNS.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        number = 1
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except (IndexError, TypeError, *broken) as exc:
                # Broken XML, a shared string that is not there, a number that is not one.
                raise ImportFileError(
                    f"{path}, row {number}: the sheet cannot be read past this row ({exc})"
                ) from exc
            cells = list(row[:MAX_COLUMNS])
            while cells and cells[-1] is None:
                cells.pop()
            yield cells
            number += 1
    finally:
        workbook.close()


def _raise_if_errors(path: Path, errors: list[str]) -> None:
    if not errors:
        return
    shown = errors[:MAX_ERRORS_SHOWN]
    more = len(errors) - len(shown)
    lines = [f"{path}, {error}" for error in shown]
    if more > 0:
        lines.append(f"... and {more} more")
    raise ImportFileError("nothing was imported:\n" + "\n".join(lines))


def _parse_kind(value: str) -> UnitKind | None:
    folded = fold(value)
    for kind in UnitKind:
        if folded == fold(kind.value):
            return kind
    return KIND_ALIASES.get(folded)


def _parse_role(value: str) -> Role | None:
    folded = fold(value)
    for role in Role:
        if folded == fold(role.value):
            return role
    return ROLE_ALIASES.get(folded)


@dataclass(frozen=True)
class _UnitRow:
    number: int
    code: str
    name: str
    kind: UnitKind
    parent_code: str
    office_code: str
    # None: the file has no recipients column, leave the list as is; () puts back the default.
    recipients: tuple[str, ...] | None = None


def _recipients_cell(row: dict[str, str], problems: list[str]) -> tuple[str, ...] | None:
    columns = [column for column in RECIPIENTS_COLUMNS if column in row]
    if not columns:
        return None
    if len(columns) > 1:
        problems.append(f"give the recipients in one column, not {' and '.join(columns)}")
        return None
    recipients = split_recipients(row[columns[0]])
    if len(recipients) > MAX_RECIPIENTS:
        problems.append(f"{len(recipients)} recipients; at most {MAX_RECIPIENTS}")
    for line in overlong(recipients):
        problems.append(f"recipient {line} is longer than {MAX_RECIPIENT_LENGTH} characters")
    return tuple(recipients)


async def import_units(*, session: AsyncSession, path: Path) -> ImportSummary:
    """Create or update the units in a file; parents and offices may be in the file or stored."""
    errors: list[str] = []
    parsed: dict[str, _UnitRow] = {}
    for number, row in read_rows(path, UNIT_COLUMNS):
        code, name = row.get("code", ""), row.get("name", "")
        kind = _parse_kind(row.get("kind", ""))
        problems = []
        if not code:
            problems.append("empty code")
        elif len(code) > 32:
            problems.append("code longer than 32 characters")
        if not name:
            problems.append("empty name")
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(f"name longer than {MAX_NAME_LENGTH} characters")
        if kind is None:
            allowed = ", ".join(kind.value for kind in UnitKind)
            problems.append(f"unknown kind {row.get('kind', '')!r} (use one of: {allowed})")
        if code and code in parsed:
            problems.append(f"duplicate code {code!r} (also on row {parsed[code].number})")
        recipients = _recipients_cell(row, problems)
        if problems:
            errors.append(f"row {number}: " + "; ".join(problems))
            continue
        assert kind is not None
        parsed[code] = _UnitRow(
            number,
            code,
            name,
            kind,
            row.get("parent_code", ""),
            row.get("office_code", ""),
            recipients,
        )

    existing = {unit.code: unit for unit in (await session.scalars(select(Unit))).all()}

    def kind_of(code: str) -> UnitKind | None:
        if code in parsed:
            return parsed[code].kind
        return existing[code].kind if code in existing else None

    for item in parsed.values():
        if item.parent_code:
            if item.parent_code == item.code:
                errors.append(f"row {item.number}: a unit cannot be its own parent")
            elif kind_of(item.parent_code) is None:
                errors.append(f"row {item.number}: unknown parent code {item.parent_code!r}")
        if item.office_code:
            office_kind = kind_of(item.office_code)
            if office_kind is None:
                errors.append(f"row {item.number}: unknown office code {item.office_code!r}")
            elif office_kind is not UnitKind.OFFICE:
                errors.append(
                    f"row {item.number}: office code {item.office_code!r} is not an office "
                    f"(its kind is {office_kind.value})"
                )
    errors.extend(_parent_cycles(parsed, existing))
    _raise_if_errors(path, errors)

    summary = ImportSummary()
    changed: set[str] = set()
    ids = {code: unit.id for code, unit in existing.items()}
    # New units in batches (one statement a unit made large files slow), matched back by code.
    fresh = [
        {"code": item.code, "name": item.name, "kind": item.kind}
        | ({"recipients": list(item.recipients)} if item.recipients else {})
        for item in parsed.values()
        if item.code not in existing
    ]
    table = Unit.metadata.tables[Unit.__tablename__]
    for batch in (
        [row for row in fresh if "recipients" in row],
        [row for row in fresh if "recipients" not in row],  # NULL, not a JSON null
    ):
        if batch:
            statement = insert(table).returning(table.c.id, table.c.code)
            inserted = await session.execute(statement, batch)
            ids.update({code: unit_id for unit_id, code in inserted})
    summary.created = len(fresh)
    links = []
    for item in parsed.values():
        parent_id = ids[item.parent_code] if item.parent_code else None
        office_id = ids[item.office_code] if item.office_code else None
        unit = existing.get(item.code)
        if unit is None:
            if parent_id is not None or office_id is not None:
                links.append({"id": ids[item.code], "parent_id": parent_id, "office_id": office_id})
            continue
        if (unit.name, unit.kind) != (item.name, item.kind):
            unit.name, unit.kind = item.name, item.kind
            changed.add(item.code)
        if item.recipients is not None:  # without the column the list stays as it is
            wanted = list(item.recipients) or None
            if unit.recipients != wanted:
                unit.recipients = wanted
                changed.add(item.code)
        if (unit.parent_id, unit.office_id) != (parent_id, office_id):
            unit.parent_id, unit.office_id = parent_id, office_id
            changed.add(item.code)
    if links:  # the new units' parents and offices, which may be new themselves
        await session.execute(update(Unit), links)
    created_codes = {code for code in parsed if code not in existing}
    summary.updated = len(changed - created_codes)
    summary.unchanged = len(parsed) - summary.created - summary.updated
    await _record_import(  # audit.record flushes the import's changes with its own row
        session=session, action="units.imported", entity_type="unit", path=path, summary=summary
    )
    return summary


async def _record_import(
    *, session: AsyncSession, action: str, entity_type: str, path: Path, summary: ImportSummary
) -> None:
    await audit.record(
        session=session,
        action=action,
        entity_type=entity_type,
        actor_label="cli",
        details={
            "file": path.name,
            "created": summary.created,
            "updated": summary.updated,
            "unchanged": summary.unchanged,
        },
    )


def _parent_cycles(parsed: dict[str, _UnitRow], existing: dict[str, Unit]) -> list[str]:
    parent_of: dict[str, str] = {}
    by_id = {unit.id: unit.code for unit in existing.values()}
    for code, unit in existing.items():
        if unit.parent_id is not None and unit.parent_id in by_id:
            parent_of[code] = by_id[unit.parent_id]
    for code, item in parsed.items():
        if item.parent_code:
            parent_of[code] = item.parent_code
        else:
            parent_of.pop(code, None)
    errors = []
    for code, item in parsed.items():
        seen = {code}
        current = parent_of.get(code)
        while current is not None:
            if current in seen:
                errors.append(f"row {item.number}: parent codes form a loop through {code!r}")
                break
            seen.add(current)
            current = parent_of.get(current)
    return errors


@dataclass(frozen=True)
class _PersonRow:
    number: int
    unit_code: str
    role: Role
    full_name: str
    title: str | None
    phone: str | None
    telegram_user_id: int | None
    sections: tuple[str, ...] | None  # None: the file has no sections column; leave as is
    signs: bool | None  # None: the file has no signs column; leave as is


async def import_people(
    *, session: AsyncSession, path: Path, known_sections: Collection[str] | None = None
) -> ImportSummary:
    """Create or update people and their roles; a row is identified by unit, role and name.

    A `sections` column names, per row, the questionnaire sections the person answers for the
    commune (codes from the form, separated by spaces or commas); the file is the truth, so an
    empty cell removes the person's assignments.
    """
    units = {unit.code: unit for unit in (await session.scalars(select(Unit))).all()}
    errors: list[str] = []
    rows: list[_PersonRow] = []
    seen_keys: dict[tuple[str, Role, str], int] = {}
    seen_telegram: dict[int, tuple[str, int]] = {}
    for number, row in read_rows(path, PEOPLE_COLUMNS):
        unit_code, name = row.get("unit_code", ""), row.get("full_name", "")
        role = _parse_role(row.get("role", ""))
        problems = []
        unit = units.get(unit_code)
        if not unit_code:
            problems.append("empty unit_code")
        elif unit is None:
            problems.append(f"unknown unit code {unit_code!r} (import the units first)")
        if role is None:
            allowed = ", ".join(role.value for role in Role)
            problems.append(f"unknown role {row.get('role', '')!r} (use one of: {allowed})")
        elif unit is not None:
            problems.extend(_role_fits_unit(role, unit))
        if not name:
            problems.append("empty full_name")
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(f"full_name longer than {MAX_NAME_LENGTH} characters")
        telegram_text = row.get("telegram_user_id", "")
        telegram_id: int | None = None
        if telegram_text:
            if telegram_text.isdigit() and 0 < int(telegram_text) < 2**52:
                telegram_id = int(telegram_text)
            else:
                problems.append(f"telegram_user_id {telegram_text!r} is not a Telegram user id")
        if role is not None and name and unit_code:
            key = (unit_code, role, fold(name))
            if key in seen_keys:
                problems.append(f"duplicate person (also on row {seen_keys[key]})")
            seen_keys[key] = number
        if telegram_id is not None:
            if telegram_id in seen_telegram and fold(seen_telegram[telegram_id][0]) != fold(name):
                problems.append(
                    f"telegram_user_id {telegram_id} also given to another name "
                    f"on row {seen_telegram[telegram_id][1]}"
                )
            seen_telegram.setdefault(telegram_id, (name, number))
        sections: tuple[str, ...] | None = None
        if "sections" in row:
            sections = tuple(part for part in re.split(r"[\s,;]+", row["sections"]) if part)
            if sections and role is not None and role not in COMMUNE_ROLES:
                problems.append(f"sections are answered in a commune, not by role {role.value}")
            unknown = [
                code
                for code in sections
                if known_sections is not None and code not in known_sections
            ]
            if unknown:
                problems.append(
                    f"unknown section(s) {', '.join(unknown)} "
                    f"(the form has: {', '.join(known_sections or ())})"
                )
        signs: bool | None = None
        if "signs" in row:
            marked = fold(row["signs"])
            if marked not in SIGNS_YES | SIGNS_NO:
                problems.append(f"signs must be x or empty, not {row['signs']!r}")
            signs = marked in SIGNS_YES
            if signs and role is not Role.VICE_CHAIRMAN:
                problems.append("signs marks a vice-chairman (the chairman always approves)")
        if problems:
            errors.append(f"row {number}: " + "; ".join(problems))
            continue
        assert role is not None
        rows.append(
            _PersonRow(
                number,
                unit_code,
                role,
                name,
                row.get("title") or None,
                phone_number(row.get("phone", "")),
                telegram_id,
                sections,
                signs,
            )
        )
    _raise_if_errors(path, errors)

    summary = await _write_people(session=session, units=units, rows=rows)
    await _record_import(  # audit.record flushes the import's changes with its own row
        session=session, action="people.imported", entity_type="person", path=path, summary=summary
    )
    return summary


async def _write_people(
    *, session: AsyncSession, units: dict[str, Unit], rows: list[_PersonRow]
) -> ImportSummary:
    """Apply checked rows in file order, as if one at a time (a later row finds the person an
    earlier one created), against indexes loaded once: a query per row made imports quadratic.

    New people, roles and sections are inserted in batches at the end (the ORM inserts one row
    a statement on SQLite), so until then what refers to a person is keyed by its Person object.
    """
    people = {person.id: person for person in await session.scalars(select(Person))}
    by_telegram = {p.telegram_user_id: p for p in people.values() if p.telegram_user_id}
    memberships: dict[tuple[Person, int, Role], Membership] = {}
    # Who holds a role in a unit, by folded name: how a row without a known account is matched.
    by_name: dict[tuple[int, Role, str], list[Person]] = {}
    roles_of: dict[Person, list[tuple[int, Role]]] = {}

    def hold(person: Person, unit_id: int, role: Role, membership: Membership) -> None:
        memberships[person, unit_id, role] = membership
        by_name.setdefault((unit_id, role, fold(person.full_name)), []).append(person)
        roles_of.setdefault(person, []).append((unit_id, role))

    def renamed(person: Person, old_name: str) -> None:
        for unit_id, role in roles_of.get(person, []):
            by_name[unit_id, role, fold(old_name)].remove(person)
            by_name.setdefault((unit_id, role, fold(person.full_name)), []).append(person)

    for membership in await session.scalars(select(Membership).order_by(Membership.person_id)):
        hold(people[membership.person_id], membership.unit_id, membership.role, membership)
    assignments: dict[tuple[int, Person], dict[str, SectionAssignment]] = {}
    for assignment in await session.scalars(select(SectionAssignment)):
        key = (assignment.unit_id, people[assignment.person_id])
        assignments.setdefault(key, {})[assignment.section_code] = assignment
    # Assignments a row removed: deleted at the end, unless a later row wants them back.
    dropped: dict[tuple[int, Person, str], SectionAssignment] = {}

    fresh: list[Person] = []
    summary = ImportSummary()
    for item in rows:
        unit = units[item.unit_code]
        person = None
        if item.telegram_user_id is not None:
            person = by_telegram.get(item.telegram_user_id)
        if person is None:
            found = by_name.get((unit.id, item.role, fold(item.full_name)))
            person = found[0] if found else None
        if person is None:
            person = Person(full_name=item.full_name)  # inserted with the others at the end
            fresh.append(person)
            summary.created += 1
            before = None
        else:
            before = (person.full_name, person.title, person.phone, person.telegram_user_id)
        old_name = person.full_name
        person.full_name = item.full_name
        person.title = item.title
        person.phone = item.phone
        if fold(old_name) != fold(person.full_name):
            renamed(person, old_name)
        if item.telegram_user_id is not None:
            if person.telegram_user_id is not None:
                by_telegram.pop(person.telegram_user_id, None)
            person.telegram_user_id = item.telegram_user_id
            by_telegram[item.telegram_user_id] = person
        held_role = memberships.get((person, unit.id, item.role))
        has_role = held_role is not None
        signs_changed = False
        if held_role is not None:
            membership = held_role
        else:
            membership = Membership(unit_id=unit.id, role=item.role, signs=False)
            hold(person, unit.id, item.role, membership)
        if item.signs is not None and membership.signs != item.signs:
            membership.signs = item.signs
            signs_changed = has_role
        assignments_changed = False
        if item.sections is not None:
            current = assignments.setdefault((unit.id, person), {})
            wanted = set(item.sections)
            assignments_changed = wanted != set(current)
            for code in set(current) - wanted:
                dropped[unit.id, person, code] = current.pop(code)
            for code in wanted - set(current):
                again = dropped.pop((unit.id, person, code), None)
                current[code] = again or SectionAssignment(unit_id=unit.id, section_code=code)
        if before is None:
            continue
        after = (person.full_name, person.title, person.phone, person.telegram_user_id)
        if after != before or not has_role or assignments_changed or signs_changed:
            summary.updated += 1
        else:
            summary.unchanged += 1

    await _insert_people(session=session, people=fresh)
    new_roles = [
        {"person_id": person.id, "unit_id": unit_id, "role": role, "signs": membership.signs}
        for (person, unit_id, role), membership in memberships.items()
        if membership.id is None
    ]
    if new_roles:
        await session.execute(insert(Membership), new_roles)
    new_sections = [
        {"unit_id": unit_id, "section_code": code, "person_id": person.id}
        for (unit_id, person), held in assignments.items()
        for code, assignment in held.items()
        if assignment.id is None
    ]
    if new_sections:
        await session.execute(insert(SectionAssignment), new_sections)
    for assignment in dropped.values():
        if assignment.id is not None:
            await session.delete(assignment)
    return summary


async def _insert_people(*, session: AsyncSession, people: list[Person]) -> None:
    """Insert people in batches and give each Person object its id."""
    if not people:
        return
    rows = [
        {
            "full_name": person.full_name,
            "title": person.title,
            "phone": person.phone,
            "telegram_user_id": person.telegram_user_id,
        }
        for person in people
    ]
    # PostgreSQL returns the ids in the rows' order. SQLite cannot promise it for a batch, but
    # gives each new row the largest rowid plus one, and no one else writes while this
    # transaction holds the write lock: the ids, sorted, are in the rows' order.
    sqlite = session.get_bind().dialect.name == "sqlite"
    table = Person.metadata.tables[Person.__tablename__]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=not sqlite)
    ids = list((await session.scalars(statement, rows)).all())
    if sqlite:
        ids.sort()
    for person, person_id in zip(people, ids, strict=True):
        person.id = person_id


# Vietnamese mobile numbers are 0 and nine digits, the nine starting with 3, 5, 7, 8 or 9.
_MOBILE_WITHOUT_ZERO = re.compile(r"[35789]\d{8}")


def phone_number(cell: str) -> str | None:
    """The phone as written, with the leading 0 a spreadsheet dropped put back.

    A phone typed into an Excel cell is stored as a number, so "0987000001" comes back as
    987000001: nine digits that begin like a mobile are a mobile missing its 0.
    """
    if not cell:
        return None
    return "0" + cell if _MOBILE_WITHOUT_ZERO.fullmatch(cell) else cell


def _role_fits_unit(role: Role, unit: Unit) -> list[str]:
    if role in COMMUNE_ROLES and unit.kind not in COMMUNE_LEVEL_KINDS:
        return [f"role {role.value} belongs to a commune, but {unit.code!r} is a {unit.kind.value}"]
    if role is Role.OFFICE and unit.kind is not UnitKind.OFFICE:
        return [f"role office needs an office unit, but {unit.code!r} is a {unit.kind.value}"]
    return []


def parse_role(value: str) -> Role | None:
    """A role as the people file may name it (English or Vietnamese, with or without
    diacritics), for other ways in, such as `baocao invite`."""
    return _parse_role(value)


def role_misfit(role: Role, unit: Unit) -> str | None:
    """Why `role` cannot be held in `unit` (the rule the people import applies), or None."""
    problems = _role_fits_unit(role, unit)
    return problems[0] if problems else None
