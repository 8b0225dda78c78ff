from __future__ import annotations

import re
import signal
import tracemalloc
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, event, func, select

from storage import imports
from storage.db import Database
from storage.imports import ImportFileError, import_people, import_units
from storage.models import (
    AuditEntry,
    Membership,
    Person,
    Role,
    SectionAssignment,
    Unit,
    UnitKind,
)

UNITS_HEADER = "code,name,kind,parent_code,office_code\n"
PEOPLE_HEADER = "unit_code,role,full_name,title,phone,telegram_user_id\n"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


async def count(database: Database, model: type) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_sample_province_imports_and_links_communes_to_their_office(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    units_file, people_file = province_files
    async with database.session() as session:
        units = await import_units(session=session, path=units_file)
        people = await import_people(session=session, path=people_file)
    assert (units.created, people.created) == (6, 8)
    async with database.session() as session:
        commune = await session.scalar(select(Unit).where(Unit.code == "12151"))
        office = await session.scalar(select(Unit).where(Unit.code == "SNV-33"))
        province = await session.scalar(select(Unit).where(Unit.code == "33"))
        assert commune is not None and office is not None and province is not None
        assert commune.kind is UnitKind.COMMUNE
        assert commune.office_id == office.id
        assert commune.parent_id == province.id
        roles = (
            await session.scalars(select(Membership.role).where(Membership.unit_id == commune.id))
        ).all()
    assert sorted(roles) == sorted(
        [Role.OFFICER, Role.OFFICER, Role.CHAIRMAN, Role.VICE_CHAIRMAN, Role.CLERK]
    )


async def test_reimport_is_idempotent_and_updates_changed_rows(
    database: Database, province_files: tuple[Path, Path]
) -> None:
    units_file, people_file = province_files
    for _ in range(2):
        async with database.session() as session:
            await import_units(session=session, path=units_file)
            summary = await import_people(session=session, path=people_file)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 8)
    assert await count(database, Person) == 8
    assert await count(database, Membership) == 8

    people_file.write_text(
        people_file.read_text(encoding="utf-8").replace("0912000003", "0987654321"),
        encoding="utf-8",
    )
    async with database.session() as session:
        summary = await import_people(session=session, path=people_file)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 7)
    async with database.session() as session:
        phone = await session.scalar(select(Person.phone).where(Person.full_name == "Lê Văn Cường"))
    assert phone == "0987654321"


async def test_xlsx_with_numeric_codes_and_vietnamese_kinds(
    database: Database, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["code", "name", "kind", "parent_code", "office_code"])
    sheet.append([1, "Tuyên Quang", "Tỉnh", None, None])
    sheet.append(["SNV", "Sở Nội vụ tỉnh Tuyên Quang", "Cơ quan", 1, None])
    sheet.append([2233, "Minh Xuân", "Phường", 1, "SNV"])
    sheet.append([2234, "Côn Đảo", "ĐẶC KHU", 1, "SNV"])
    sheet.append([None, None, None, None, None])  # trailing blank row
    path = tmp_path / "units.xlsx"
    workbook.save(path)
    async with database.session() as session:
        summary = await import_units(session=session, path=path)
    assert summary.created == 4
    async with database.session() as session:
        kinds = {code: kind for code, kind in await session.execute(select(Unit.code, Unit.kind))}
    assert kinds == {
        "1": UnitKind.PROVINCE,
        "SNV": UnitKind.OFFICE,
        "2233": UnitKind.WARD,
        "2234": UnitKind.SPECIAL_ZONE,
    }


async def test_xlsx_phone_numbers_typed_as_numbers_keep_their_leading_zero(
    database: Database, tmp_path: Path
) -> None:
    """Excel stores 0987000001 typed into a cell as the number 987000001."""
    write(tmp_path / "units.csv", UNITS_HEADER + "T1,Tân Quang,xã,,\n")
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["unit_code", "role", "full_name", "title", "phone"])
    sheet.append(["T1", "cán bộ", "Nguyễn Thị Hoa", None, 987000001])  # mobile, 0 lost
    sheet.append(["T1", "chủ tịch", "Lê Văn Cường", None, 352000002])  # 03x mobile, 0 lost
    sheet.append(["T1", "văn thư", "Phạm Thị Dung", None, "0912000004"])  # typed as text
    sheet.append(["T1", "cán bộ", "Trần Văn Bình", None, 2213825555])  # a landline: as it is
    path = tmp_path / "people.xlsx"
    workbook.save(path)
    async with database.session() as session:
        await import_units(session=session, path=tmp_path / "units.csv")
        await import_people(session=session, path=path)
    async with database.session() as session:
        rows = await session.execute(select(Person.full_name, Person.phone))
        phones = {name: phone for name, phone in rows}
    assert phones == {
        "Nguyễn Thị Hoa": "0987000001",
        "Lê Văn Cường": "0352000002",
        "Phạm Thị Dung": "0912000004",
        "Trần Văn Bình": "2213825555",
    }


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("T1,Tân Quang,xã,NOPE,\n", "row 3: unknown parent code 'NOPE'"),
        ("T1,Tân Quang,xã,,\nT1,Như Quỳnh,xã,,\n", "row 4: duplicate code 'T1' (also on row 3)"),
        ("T1,,xã,,\n", "row 3: empty name"),
        (",Tân Quang,xã,,\n", "row 3: empty code"),
        ("T1,Tân Quang,county,,\n", "row 3: unknown kind 'county'"),
        ("T1,Tân Quang,xã,T1,\n", "row 3: a unit cannot be its own parent"),
        ("T1,Tân Quang,xã,T2,\nT2,Như Quỳnh,xã,T1,\n", "parent codes form a loop"),
        ("T0,Hưng Yên,tỉnh,,\nT1,Tân Quang,xã,,T0\n", "office code 'T0' is not an office"),
        ("T1,Tân Quang,xã,,SNV\n", "row 3: unknown office code 'SNV'"),
        ("T1," + "A" * 201 + ",xã,,\n", "row 3: name longer than 200"),
    ],
)
async def test_bad_unit_rows_name_file_and_row_and_import_nothing(
    database: Database, tmp_path: Path, rows: str, expected: str
) -> None:
    # A good row first: it must not be written when a later row is bad.
    path = write(tmp_path / "units.csv", UNITS_HEADER + "G1,Hưng Yên,tỉnh,,\n" + rows)
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_units(session=session, path=path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)
    assert await count(database, Unit) == 0
    assert await count(database, AuditEntry) == 0


async def recipients_of(database: Database) -> dict[str, list[str] | None]:
    async with database.session() as session:
        rows = (await session.execute(select(Unit.code, Unit.recipients))).all()
    return {code: recipients for code, recipients in rows}


async def test_recipients_column_sets_each_communes_list_and_an_empty_cell_the_default(
    database: Database, tmp_path: Path
) -> None:
    header = "code,name,kind,parent_code,office_code,recipients\n"
    path = write(
        tmp_path / "units.csv",
        header
        + 'T1,Tân Quang,xã,,,"- Phòng Văn hóa - Thông tin huyện (BC);  - TTĐU, HĐND xã;'
        + '  - Lưu: VP."\n'
        + 'T2,Như Quỳnh,xã,,,"Phòng Nội vụ huyện\nChủ tịch, PCT UBND xã\n\nLưu VT."\n'
        + "T3,Lạc Đạo,xã,,,\n",
    )
    async with database.session() as session:
        await import_units(session=session, path=path)
    assert await recipients_of(database) == {
        "T1": ["- Phòng Văn hóa - Thông tin huyện (BC)", "- TTĐU, HĐND xã", "- Lưu: VP."],
        "T2": ["Phòng Nội vụ huyện", "Chủ tịch, PCT UBND xã", "Lưu VT."],
        "T3": None,
    }

    # The same file again changes nothing; a changed cell updates that unit only, and a file
    # without the column (headed the Vietnamese way here for one unit) leaves the others alone.
    async with database.session() as session:
        again = await import_units(session=session, path=path)
    assert (again.updated, again.unchanged) == (0, 3)
    write(path, "code,name,kind,parent_code,office_code,noi_nhan\nT1,Tân Quang,xã,,,\n")
    async with database.session() as session:
        cleared = await import_units(session=session, path=path)
    assert (cleared.updated, cleared.unchanged) == (1, 0)
    write(path, UNITS_HEADER + "T2,Như Quỳnh,xã,,\n")
    async with database.session() as session:
        await import_units(session=session, path=path)
    recipients = await recipients_of(database)
    assert recipients["T1"] is None
    assert recipients["T2"] == ["Phòng Nội vụ huyện", "Chủ tịch, PCT UBND xã", "Lưu VT."]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (";".join(f"Nơi {n}" for n in range(13)), "row 3: 13 recipients; at most 12"),
        ("Sở Nội vụ;" + "A" * 201, "row 3: recipient 2 is longer than 200 characters"),
    ],
)
async def test_bad_recipients_name_file_and_row_and_import_nothing(
    database: Database, tmp_path: Path, cell: str, expected: str
) -> None:
    path = write(
        tmp_path / "units.csv",
        "code,name,kind,parent_code,office_code,recipients\n"
        + f'G1,Hưng Yên,tỉnh,,,\nT1,Tân Quang,xã,,,"{cell}"\n',
    )
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_units(session=session, path=path)
    assert f"{path}, {expected}" in str(error.value)
    assert await count(database, Unit) == 0


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("NOPE,officer,Nguyễn Văn A,,,\n", "row 3: unknown unit code 'NOPE'"),
        ("12151,mayor,Nguyễn Văn A,,,\n", "row 3: unknown role 'mayor'"),
        ("12151,officer,,,,\n", "row 3: empty full_name"),
        ("12151,office,Nguyễn Văn A,,,\n", "role office needs an office unit"),
        ("SNV-33,chairman,Nguyễn Văn A,,,\n", "role chairman belongs to a commune"),
        ("12151,officer,Nguyễn Văn A,,,12ab\n", "'12ab' is not a Telegram user id"),
        ("12151,officer,Nguyễn Văn A,,,-5\n", "'-5' is not a Telegram user id"),
        (
            "12151,officer,Nguyễn Văn A,,,\n12151,officer,nguyen van a,,,\n",
            "row 4: duplicate person (also on row 3)",
        ),
        (
            "12151,officer,Nguyễn Văn A,,,111\n12151,clerk,Trần B,,,111\n",
            "telegram_user_id 111 also given to another name on row 3",
        ),
    ],
)
async def test_bad_people_rows_name_file_and_row_and_import_nothing(
    database: Database,
    tmp_path: Path,
    province_files: tuple[Path, Path],
    rows: str,
    expected: str,
) -> None:
    async with database.session() as session:
        await import_units(session=session, path=province_files[0])
    path = write(tmp_path / "bad_people.csv", PEOPLE_HEADER + "12151,officer,Good Row,,,\n" + rows)
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_people(session=session, path=path)
    assert f"{path}, " in str(error.value)
    assert expected in str(error.value)
    assert await count(database, Person) == 0


async def test_vietnamese_role_names_and_semicolon_csv_with_bom(
    database: Database, tmp_path: Path, province_files: tuple[Path, Path]
) -> None:
    async with database.session() as session:
        await import_units(session=session, path=province_files[0])
    path = tmp_path / "people.csv"
    path.write_bytes(
        (
            "\ufeffunit_code;role;full_name\n"
            "12151;Phó Chủ tịch;Phạm Thị Dung\n"
            "12151;Văn thư;Hoàng Văn Em\n"
        ).encode()
    )
    async with database.session() as session:
        summary = await import_people(session=session, path=path)
    assert summary.created == 2
    async with database.session() as session:
        roles = sorted((await session.scalars(select(Membership.role))).all())
    assert roles == sorted([Role.VICE_CHAIRMAN, Role.CLERK])


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("missing.csv", None, "no such file"),
        ("units.pdf", b"%PDF", "use a .csv or .xlsx file"),
        ("empty.csv", b"", "the file is empty"),
        ("cp1258.csv", b"code,name,kind\nT1,T\xe2n,x\xe3\n", "not UTF-8"),
        ("fake.xlsx", b"not a zip", "not a readable .xlsx file"),
        ("nohead.csv", b"T1,Tan Quang,xa\n", "missing column(s) code, name, kind"),
    ],
)
async def test_unreadable_files_are_one_clear_error(
    database: Database, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImportFileError, match=re.escape(expected)):
        async with database.session() as session:
            await import_units(session=session, path=path)


async def assignments(database: Database) -> set[tuple[str, str]]:
    async with database.session() as session:
        rows = await session.execute(
            select(Person.full_name, SectionAssignment.section_code).join(
                Person, Person.id == SectionAssignment.person_id
            )
        )
        return {(name, code) for name, code in rows}


async def test_sections_column_assigns_sections_and_the_file_stays_the_truth(
    database: Database, province_files: tuple[Path, Path], tmp_path: Path
) -> None:
    units_file, people_file = province_files
    known = ["directives", "broadcasts", "posts"]
    async with database.session() as session:
        await import_units(session=session, path=units_file)
        await import_people(session=session, path=people_file, known_sections=known)
    assert await assignments(database) == {("Trần Văn Bình", "broadcasts")}

    header = "unit_code,role,full_name,sections\n"
    both = write(
        tmp_path / "both.csv",
        header + '12151,officer,Trần Văn Bình,"broadcasts, posts"\n12151,officer,Nguyễn Thị Hoa,\n',
    )
    async with database.session() as session:
        await import_people(session=session, path=both, known_sections=known)
    async with database.session() as session:
        again = await import_people(session=session, path=both, known_sections=known)
    assert (again.updated, again.unchanged) == (0, 2), "re-importing the same file changes nothing"
    assert await assignments(database) == {
        ("Trần Văn Bình", "broadcasts"),
        ("Trần Văn Bình", "posts"),
    }

    cleared = write(tmp_path / "cleared.csv", header + "12151,officer,Trần Văn Bình,\n")
    async with database.session() as session:
        await import_people(session=session, path=cleared, known_sections=known)
    assert await assignments(database) == set()


async def test_unknown_sections_and_office_sections_are_refused(
    database: Database, province_files: tuple[Path, Path], tmp_path: Path
) -> None:
    async with database.session() as session:
        await import_units(session=session, path=province_files[0])
    bad = write(
        tmp_path / "bad.csv",
        "unit_code,role,full_name,sections\n"
        "12151,officer,Nguyễn Thị Hoa,radio\n"
        "SNV-33,office,Bùi Thị Lan,posts\n",
    )
    with pytest.raises(ImportFileError) as caught:
        async with database.session() as session:
            await import_people(session=session, path=bad, known_sections=["posts"])
    message = str(caught.value)
    assert "row 2: unknown section(s) radio (the form has: posts)" in message
    assert "row 3: sections are answered in a commune, not by role office" in message
    assert await assignments(database) == set()


async def signing(database: Database) -> set[str]:
    async with database.session() as session:
        rows = await session.scalars(
            select(Person.full_name)
            .join(Membership, Membership.person_id == Person.id)
            .where(Membership.signs.is_(True))
        )
        return set(rows.all())


async def test_signs_column_marks_the_vice_chairman_who_approves(
    database: Database, province_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """`signs` = x marks a vice-chairman; an empty cell unmarks; no column leaves it as is."""
    units_file, people_file = province_files
    async with database.session() as session:
        await import_units(session=session, path=units_file)
        await import_people(session=session, path=people_file)
    assert await signing(database) == set()

    header = "unit_code,role,full_name,signs\n"
    marked = write(tmp_path / "marked.csv", header + "12151,vice_chairman,Phạm Thị Dung,x\n")
    async with database.session() as session:
        summary = await import_people(session=session, path=marked)
    assert summary.updated == 1
    assert await signing(database) == {"Phạm Thị Dung"}

    async with database.session() as session:
        await import_people(session=session, path=people_file)  # no signs column
    assert await signing(database) == {"Phạm Thị Dung"}

    unmarked = write(tmp_path / "unmarked.csv", header + "12151,vice_chairman,Phạm Thị Dung,\n")
    async with database.session() as session:
        await import_people(session=session, path=unmarked)
    assert await signing(database) == set()


async def test_signs_on_other_roles_or_with_odd_values_is_refused(
    database: Database, province_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """Only a vice-chairman is marked, with x (or có/yes); anything else names the row."""
    async with database.session() as session:
        await import_units(session=session, path=province_files[0])
    bad = write(
        tmp_path / "bad.csv",
        "unit_code,role,full_name,signs\n"
        "12151,officer,Nguyễn Thị Hoa,x\n"
        "12151,vice_chairman,Phạm Thị Dung,{{ 7*7 }}\n"
        "12151,vice_chairman,Lê Văn Khánh,có\n",
    )
    with pytest.raises(ImportFileError) as caught:
        async with database.session() as session:
            await import_people(session=session, path=bad)
    message = str(caught.value)
    assert "row 2: signs marks a vice-chairman" in message
    assert "row 3: signs must be x or empty, not '{{ 7*7 }}'" in message
    assert "row 4" not in message  # "có" is a yes
    assert await count(database, Person) == 0


# ----- hostile and broken files: refused early, in one line naming the file and the row ----------


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail, rather than hang, when reading takes longer than it should."""

    def expire(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"still reading after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOCUMENT_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{SHEETML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEETML}.worksheet+xml"/>'
    f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHEETML}.sharedStrings+xml"/>'
    "</Types>"
)
XLSX_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{DOCUMENT_RELS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
XLSX_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    f'xmlns:r="{DOCUMENT_RELS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
XLSX_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PACKAGE_RELS}">'
    f'<Relationship Id="rId1" Type="{DOCUMENT_RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{DOCUMENT_RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    "</Relationships>"
)
DEMO_UNITS = Path(__file__).parents[2] / "bot" / "demo_data" / "units.csv"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def inline_row(number: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{value}</t></is></c>'
        for i, value in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def handmade_xlsx(
    path: Path,
    rows: str,
    *,
    dimension: str = "A1:C3",
    shared: Iterator[bytes] | None = None,
    tail: str = "</sheetData></worksheet>",
) -> Path:
    """An .xlsx written by hand, as a hostile or broken program might write one."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", XLSX_TYPES)
        archive.writestr("_rels/.rels", XLSX_RELS)
        archive.writestr("xl/workbook.xml", XLSX_WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", XLSX_WORKBOOK_RELS)
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
            f'<dimension ref="{dimension}"/><sheetData>{rows}{tail}',
        )
        empty = f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}" count="0" uniqueCount="0"/>'
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            for chunk in shared if shared is not None else [empty.encode()]:
                part.write(chunk)
    return path


UNIT_HEADER_ROW = inline_row(1, ["code", "name", "kind"])


async def test_a_bogus_declared_dimension_is_not_trusted(
    database: Database, tmp_path: Path
) -> None:
    rows = UNIT_HEADER_ROW + inline_row(2, ["T1", "Tân Quang", "xã"])
    rows += '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = handmade_xlsx(tmp_path / "units.xlsx", rows, dimension="A1:XFD1048576")
    with deadline(10):
        async with database.session() as session:
            summary = await import_units(session=session, path=path)
    assert summary.created == 1


@pytest.fixture(scope="module")
def huge_shared_string(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 100 kB file whose shared string unpacks to 100 MB."""

    def chunks() -> Iterator[bytes]:
        yield f'<?xml version="1.0"?><sst xmlns="{MAIN_NS}" count="1"><si><t>'.encode()
        for _ in range(100):
            yield b"A" * 2**20
        yield b"</t></si></sst>"

    rows = UNIT_HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    path = handmade_xlsx(tmp_path_factory.mktemp("huge") / "units.xlsx", rows, shared=chunks())
    assert path.stat().st_size < 2**20
    return path


async def test_a_huge_shared_string_is_refused_before_it_is_read(
    database: Database, huge_shared_string: Path
) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(ImportFileError) as error, deadline(10):
            async with database.session() as session:
                await import_units(session=session, path=huge_shared_string)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(error.value)
    assert str(huge_shared_string) in message and "xl/sharedStrings.xml" in message
    assert "100 MB" in message
    assert peak < 20 * 2**20
    assert await count(database, Unit) == 0


async def test_rows_past_the_limit_are_refused_naming_the_row(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 5)
    body = "".join(f"T{n},Xã {n},xã,,\n" for n in range(7))
    for path in (write(tmp_path / "units.csv", UNITS_HEADER + body), tmp_path / "units.xlsx"):
        if path.suffix == ".xlsx":
            rows = UNIT_HEADER_ROW + "".join(
                inline_row(n + 2, [f"T{n}", f"Xã {n}", "xã"]) for n in range(7)
            )
            handmade_xlsx(path, rows)
        with pytest.raises(ImportFileError) as error:
            async with database.session() as session:
                await import_units(session=session, path=path)
        assert str(error.value) == f"{path}, row 7: more than 5 rows; split the file"
    assert await count(database, Unit) == 0


async def test_broken_sheet_xml_is_one_line_naming_the_file_and_row(
    database: Database, tmp_path: Path
) -> None:
    rows = UNIT_HEADER_ROW + inline_row(2, ["T1", "Tân Quang", "xã"]) + '<row r="3"><c r="A3"'
    path = handmade_xlsx(tmp_path / "units.xlsx", rows, tail="")
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_units(session=session, path=path)
    message = str(error.value)
    assert message.startswith(f"{path}, row ")
    assert "the sheet cannot be read" in message and "\n" not in message


async def test_a_csv_cell_past_the_csv_modules_limit_is_one_line(
    database: Database, tmp_path: Path
) -> None:
    path = write(tmp_path / "units.csv", UNITS_HEADER + "T1,Tân Quang,xã,,\nT2,A" + "a" * 200_000)
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_units(session=session, path=path)
    assert str(error.value).startswith(f"{path}, row 3: a cell longer than 131,072 characters")
    assert "\n" not in str(error.value)


async def test_a_long_cell_is_refused_naming_its_column_and_row(
    database: Database, tmp_path: Path
) -> None:
    path = write(tmp_path / "units.csv", UNITS_HEADER + "T1," + "A" * 10_000 + ",xã,,\n")
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_units(session=session, path=path)
    assert str(error.value) == f"{path}, row 2: name holds 10,000 characters; at most 5,000"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16"])
async def test_utf16_with_or_without_a_bom_is_read(
    database: Database, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes((UNITS_HEADER + "T1,Tân Quang,xã,,\n").encode(encoding))
    async with database.session() as session:
        summary = await import_units(session=session, path=path)
    assert summary.created == 1
    async with database.session() as session:
        assert await session.scalar(select(Unit.name)) == "Tân Quang"


async def test_excels_tab_separated_unicode_text_is_read(
    database: Database, tmp_path: Path
) -> None:
    path = tmp_path / "units.txt"
    path.write_bytes("code\tname\tkind\nT1\tTân Quang, Hưng Yên\txã\n".encode("utf-16"))
    async with database.session() as session:
        summary = await import_units(session=session, path=path)
    assert summary.created == 1


async def test_bytes_that_are_not_utf8_are_named_by_row(database: Database, tmp_path: Path) -> None:
    good = "".join(f"T{n},Xã {n},xã,,\n" for n in range(3000)).encode()  # past a read-ahead
    path = tmp_path / "units.csv"
    path.write_bytes(UNITS_HEADER.encode() + good + b"T9,T\xe2n,x\xe3,,\n")
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_units(session=session, path=path)
    assert str(error.value) == f"{path}, row 3002: not UTF-8 text (save the CSV as UTF-8)"


async def test_control_characters_are_refused_and_line_like_ones_keep_rows_in_place(
    database: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "people.csv",
        PEOPLE_HEADER
        + '12151,officer,"Lê Văn\x0bCường",title \u2028 two lines,,\n'
        + "12151,officer,Trần\x00 Thị Hoa,,,\n"
        + "12151,officer,Phạm Văn\x0c Nam,,,\n"
        + '12151,officer,Nguyễn Văn An,"Phó\u2029 chủ\x1f tịch",,\n'
        + "12151,officer,Bad Row,,,not-an-id\n",
    )
    async with database.session() as session:
        await import_units(session=session, path=DEMO_UNITS)
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_people(session=session, path=path)
    lines = str(error.value).splitlines()[1:]
    assert lines == [
        f"{path}, row 2: full_name holds the control character U+000B; retype the cell",
        f"{path}, row 3: full_name holds the control character U+0000; retype the cell",
        f"{path}, row 4: full_name holds the control character U+000C; retype the cell",
        f"{path}, row 5: title holds the control character U+001F; retype the cell",
    ]
    assert await count(database, Person) == 0


async def test_a_line_separator_in_a_cell_leaves_the_next_rows_number_as_shown(
    database: Database, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "people.csv",
        PEOPLE_HEADER + "12151,officer,Lê\u2028Văn,,,\n" + "12151,officer,Bad Row,,,not-an-id\n",
    )
    async with database.session() as session:
        await import_units(session=session, path=DEMO_UNITS)
    with pytest.raises(ImportFileError) as error:
        async with database.session() as session:
            await import_people(session=session, path=path)
    assert "row 3: telegram_user_id 'not-an-id'" in str(error.value)


def one_commune(folder: Path, people: int) -> tuple[Path, Path]:
    """A commune's units file and a people file with `people` officers in it."""
    folder.mkdir()
    units = write(folder / "units.csv", UNITS_HEADER + "P,Hưng Yên,tỉnh,,\nX1,Tân Quang,xã,P,\n")
    rows = "".join(
        f"X1,officer,Cán bộ {n},,,{7_000_000 + n if n % 2 else ''}\n" for n in range(people)
    )
    return units, write(folder / "people.csv", PEOPLE_HEADER + rows)


async def statements_to_import_people(database: Database, folder: Path, people: int) -> int:
    """How many SQL statements importing `people` officers of one commune takes."""
    units, path = one_commune(folder, people)
    async with database.session() as session:
        await import_units(session=session, path=units)
    statements = 0

    def counted(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(database.engine.sync_engine, "before_cursor_execute", counted)
    try:
        for _ in range(2):  # created, then found again
            async with database.session() as session:
                await import_people(session=session, path=path)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", counted)
    return statements


async def test_importing_people_takes_as_many_statements_for_many_rows_as_for_few(
    database: Database, tmp_path: Path
) -> None:
    few = await statements_to_import_people(database, tmp_path / "few", 20)
    async with database.session() as session:  # start again from no people
        await session.execute(delete(Membership))
        await session.execute(delete(Person))
    many = await statements_to_import_people(database, tmp_path / "many", 400)
    assert many <= few + 4, (few, many)  # batches of inserts, not a query per row
