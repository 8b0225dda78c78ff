"""Import units and people from CSV or .xlsx files, all or nothing.

Every row is checked before anything is written; a file with any bad row changes nothing and
the error names the file and the row (numbered as a spreadsheet shows it, header = row 1).
Re-importing the same file is a no-op; a changed row updates the record it names.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
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
    """Yield (spreadsheet row number, row) from a CSV or .xlsx file with a header row."""
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
    for number, cells in enumerate(rows, start=2):
        values = [clean(cell) for cell in cells]
        if not any(values):
            continue  # blank lines are common at the end of spreadsheets
        row = {name: (values[i] if i < len(values) else "") for i, name in enumerate(header)}
        yield number, row


def _csv_rows(path: Path) -> Iterator[list[str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"{path}: not UTF-8 text (save the CSV as UTF-8)") from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # A reader over the whole text, not its lines: a quoted cell may hold line breaks.
    yield from csv.reader(io.StringIO(text), delimiter=delimiter)


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ImportFileError(f"{path}: not a readable .xlsx file ({exc})") from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
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
    units: dict[str, Unit] = dict(existing)
    changed: set[str] = set()
    for item in parsed.values():
        unit = units.get(item.code)
        if unit is None:
            unit = Unit(code=item.code, name=item.name, kind=item.kind)
            session.add(unit)
            units[item.code] = unit
            summary.created += 1
            continue
        if (unit.name, unit.kind) != (item.name, item.kind):
            unit.name, unit.kind = item.name, item.kind
            changed.add(item.code)
    for item in parsed.values():
        unit = units[item.code]
        if item.recipients is None:
            continue  # no recipients column: the list stays as it is
        wanted = list(item.recipients) or None
        if unit.recipients != wanted:
            unit.recipients = wanted
            changed.add(item.code)
    await session.flush()
    for item in parsed.values():
        unit = units[item.code]
        parent_id = units[item.parent_code].id if item.parent_code else None
        office_id = units[item.office_code].id if item.office_code else None
        if (unit.parent_id, unit.office_id) != (parent_id, office_id):
            unit.parent_id, unit.office_id = parent_id, office_id
            changed.add(item.code)
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

    summary = ImportSummary()
    for item in rows:
        unit = units[item.unit_code]
        person = await _find_person(session=session, item=item, unit=unit)
        if person is None:
            person = Person(full_name=item.full_name)
            session.add(person)
            summary.created += 1
            before = None
        else:
            before = (person.full_name, person.title, person.phone, person.telegram_user_id)
        person.full_name = item.full_name
        person.title = item.title
        person.phone = item.phone
        if item.telegram_user_id is not None:
            person.telegram_user_id = item.telegram_user_id
        await session.flush()
        membership = await session.scalar(
            select(Membership).where(
                Membership.person_id == person.id,
                Membership.unit_id == unit.id,
                Membership.role == item.role,
            )
        )
        has_role = membership is not None
        signs_changed = False
        if membership is None:
            membership = Membership(person_id=person.id, unit_id=unit.id, role=item.role)
            session.add(membership)
        if item.signs is not None and membership.signs != item.signs:
            membership.signs = item.signs
            signs_changed = has_role
        assignments_changed = False
        if item.sections is not None:
            assignments_changed = await _assign_sections(
                session=session, unit=unit, person=person, sections=item.sections
            )
        if before is None:
            continue
        after = (person.full_name, person.title, person.phone, person.telegram_user_id)
        if after != before or not has_role or assignments_changed or signs_changed:
            summary.updated += 1
        else:
            summary.unchanged += 1
    await _record_import(  # audit.record flushes the import's changes with its own row
        session=session, action="people.imported", entity_type="person", path=path, summary=summary
    )
    return summary


async def _assign_sections(
    *, session: AsyncSession, unit: Unit, person: Person, sections: tuple[str, ...]
) -> bool:
    """Make the person's section assignments in the unit exactly `sections`; True if changed."""
    current = {
        row.section_code: row
        for row in await session.scalars(
            select(SectionAssignment).where(
                SectionAssignment.unit_id == unit.id, SectionAssignment.person_id == person.id
            )
        )
    }
    wanted = set(sections)
    for code, row in current.items():
        if code not in wanted:
            await session.delete(row)
    for code in wanted - set(current):
        session.add(SectionAssignment(unit_id=unit.id, section_code=code, person_id=person.id))
    await session.flush()
    return wanted != set(current)


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


async def _find_person(*, session: AsyncSession, item: _PersonRow, unit: Unit) -> Person | None:
    if item.telegram_user_id is not None:
        person = await session.scalar(
            select(Person).where(Person.telegram_user_id == item.telegram_user_id)
        )
        if person is not None:
            return person
    candidates = (
        await session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.unit_id == unit.id, Membership.role == item.role)
        )
    ).all()
    for person in candidates:
        if fold(person.full_name) == fold(item.full_name):
            return person
    return None


def parse_role(value: str) -> Role | None:
    """A role as the people file may name it (English or Vietnamese, with or without
    diacritics), for other ways in, such as `baocao invite`."""
    return _parse_role(value)


def role_misfit(role: Role, unit: Unit) -> str | None:
    """Why `role` cannot be held in `unit` (the rule the people import applies), or None."""
    problems = _role_fits_unit(role, unit)
    return problems[0] if problems else None
