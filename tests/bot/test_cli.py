"""The `baocao` command as an administrator runs it, with a real database.

The commands run in this process (tests/cli.py), each with only the environment and folder given.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus
from storage.outbox import OFFICE_DELIVERY, give_up
from tests.cli import baocao_here
from tests.e2e.conftest import base_environment


async def baocao(
    tmp_path: Path, database_url: str, *args: str, **env: str
) -> subprocess.CompletedProcess[str]:
    return await baocao_here(
        *args, env=base_environment(DATABASE_URL=database_url, **env), cwd=tmp_path
    )


@pytest.fixture
async def imported(tmp_path: Path, database: Database, province_files: tuple[Path, Path]) -> str:
    """The sample province imported into a migrated database (the test of importing itself starts
    from an empty one)."""
    units, people = province_files
    for what, path in (("units", units), ("people", people)):
        result = await baocao(tmp_path, database.url, what, "import", str(path))
        assert result.returncode == 0, result.stderr
    return database.url


async def test_import_reports_counts_and_is_idempotent(
    tmp_path: Path, database_url: str, province_files: tuple[Path, Path]
) -> None:
    units = str(province_files[0])
    first = await baocao(tmp_path, database_url, "units", "import", units)
    second = await baocao(tmp_path, database_url, "units", "import", units)
    assert "6 created, 0 updated, 0 unchanged" in first.stdout
    assert "0 created, 0 updated, 6 unchanged" in second.stdout


async def test_bad_import_file_exits_1_naming_file_and_row(
    tmp_path: Path, database_url: str
) -> None:
    bad = tmp_path / "units.csv"
    bad.write_text("code,name,kind,parent_code\nA1,Tân Quang,xã,NOPE\n", encoding="utf-8")
    result = await baocao(tmp_path, database_url, "units", "import", str(bad))
    assert result.returncode == 1
    assert f"{bad}, row 2: unknown parent code 'NOPE'" in result.stderr
    assert "Traceback" not in result.stderr


async def test_invite_prints_a_single_use_link(tmp_path: Path, imported: str) -> None:
    result = await baocao(
        tmp_path,
        imported,
        "invite",
        "--unit",
        "SNV-33",
        "--role",
        "office",
        TELEGRAM_BOT_USERNAME="@baocao_tinh_bot",
    )
    assert result.returncode == 0, result.stderr
    links = result.stdout.splitlines()
    assert re.fullmatch(r"https://t\.me/baocao_tinh_bot\?start=[A-Za-z0-9_-]{32}", links[0])
    assert links[1].startswith("For a group chat: https://t.me/baocao_tinh_bot?startgroup=")
    assert "expires in 14 days" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--unit", "NOPE", "--role", "officer"), "no unit with code 'NOPE'"),
        (("--unit", "12151", "--role", "mayor"), "Invalid value for '--role'"),
        (
            ("--unit", "12151", "--role", "officer", "--expires", "0"),
            "Invalid value for '--expires'",
        ),
        (
            ("--unit", "12151", "--role", "officer", "--person", "Không Có Ai"),
            "no single imported person named 'Không Có Ai'",
        ),
    ],
)
async def test_bad_invite_arguments_are_clear_errors(
    tmp_path: Path, imported: str, args: tuple[str, ...], expected: str
) -> None:
    result = await baocao(tmp_path, imported, "invite", *args, TELEGRAM_BOT_USERNAME="b_bot")
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


async def test_invite_without_token_or_username_says_what_to_set(
    tmp_path: Path, imported: str
) -> None:
    result = await baocao(tmp_path, imported, "invite", "--unit", "12151", "--role", "officer")
    assert result.returncode != 0
    assert "set TELEGRAM_BOT_TOKEN (or TELEGRAM_BOT_USERNAME)" in result.stderr


async def test_db_upgrade(tmp_path: Path, database_url: str) -> None:
    result = await baocao(tmp_path, database_url, "db", "upgrade")
    assert (result.returncode, result.stdout.strip()) == (0, "Database is up to date.")


async def test_form_check_summarises_the_default_form(tmp_path: Path, database_url: str) -> None:
    result = await baocao(tmp_path, database_url, "form", "check")
    assert result.returncode == 0, result.stderr
    assert re.search(r"cchc_publicity version \S+: 8 sections, \d+ questions\.", result.stdout)
    assert "broadcasts: Tuyên truyền qua hệ thống truyền thanh" in result.stdout


async def test_a_bad_form_is_named_by_file_and_line_and_stops_the_bot(
    tmp_path: Path, database_url: str
) -> None:
    form = tmp_path / "form.yaml"
    form.write_text(
        "form: test\nversion: '1'\ntitle: T\nsections:\n  - code: s\n    title: S\n"
        "    questions:\n      - code: q\n        type: counts\n        label: Bao nhiêu?\n",
        encoding="utf-8",
    )
    checked = await baocao(tmp_path, database_url, "form", "check", str(form))
    assert checked.returncode == 2
    assert f"{form}:9: sections.0.questions.0.type: Input should be" in checked.stderr
    started = await baocao(
        tmp_path,
        database_url,
        "run",
        TELEGRAM_BOT_TOKEN="123456:TEST-token-not-used",
        TELEGRAM_API_URL="http://127.0.0.1:9",
        BAOCAO_FORM=str(form),
    )
    assert started.returncode == 2
    assert f"{form}:9:" in started.stdout + started.stderr
    assert "Traceback" not in started.stderr


async def test_round_open_opens_every_commune_once(tmp_path: Path, imported: str) -> None:
    first = await baocao(tmp_path, imported, "round", "open", "--period", "2026-Q1")
    again = await baocao(tmp_path, imported, "round", "open", "--period", "2026-Q1")
    assert "figures 15/12/2025-14/03/2026, deadline 17/03/2026" in first.stdout
    assert "Opened 4 round(s); 0 already open." in first.stdout
    assert "Opened 0 round(s); 4 already open." in again.stdout
    bad = await baocao(tmp_path, imported, "round", "open", "--period", "2026-Q5")
    assert bad.returncode == 1
    assert "is not a period code" in bad.stderr and "Traceback" not in bad.stderr


REPO = Path(__file__).resolve().parents[2]


def province_templates(folder: Path) -> Path:
    """A province's copy of the report files, with its own wording for section I."""
    folder.mkdir()
    for name in ("bao_cao_cchc.j2", "annex.yaml"):
        text = (REPO / "report_kinds" / "cchc" / name).read_text(encoding="utf-8")
        (folder / name).write_text(text, encoding="utf-8")
    template = folder / "bao_cao_cchc.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace(
            ". CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH{", ". CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CỦA TỈNH MẪU{"
        ),
        encoding="utf-8",
    )
    return template


def break_line(template: Path, number: int) -> None:
    lines = template.read_text(encoding="utf-8").splitlines()
    lines[number - 1] += " {% if %}"
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_a_provinces_templates_are_used_and_a_broken_one_is_named(
    tmp_path: Path, database_url: str
) -> None:
    template = province_templates(tmp_path / "templates")
    answers = REPO / "bot" / "demo_data" / "answers_tan_quang_2024_h1.json"
    draft = ("draft", "--answers", str(answers), "--out", "out")
    mine = {"BAOCAO_TEMPLATES_DIR": str(template.parent)}

    drafted = await baocao(tmp_path, database_url, *draft, **mine)
    assert drafted.returncode == 0, drafted.stderr
    preview = tmp_path / "out" / "answers_tan_quang_2024_h1.preview.txt"
    assert "ĐIỀU HÀNH CỦA TỈNH MẪU" in await asyncio.to_thread(preview.read_text, "utf-8")

    lines = template.read_text(encoding="utf-8").splitlines()
    heading = next(n for n, line in enumerate(lines, 1) if "CỦA TỈNH MẪU" in line)
    break_line(template, heading)
    broken = await baocao(tmp_path, database_url, *draft, **mine)
    assert broken.returncode == 1
    assert f"{template}:{heading}: " in broken.stderr and "Traceback" not in broken.stderr
    started = await baocao(
        tmp_path,
        database_url,
        "run",
        TELEGRAM_BOT_TOKEN="123456:TEST-token-not-used",
        TELEGRAM_API_URL="http://127.0.0.1:9",
        **mine,
    )
    assert started.returncode == 2
    assert f"{template}:{heading}: " in started.stdout + started.stderr


async def test_draft_of_a_stored_round(tmp_path: Path, imported: str) -> None:
    from storage.db import Database
    from storage.questionnaire import round_of_unit
    from tests.factories import store_answers

    await baocao(tmp_path, imported, "round", "open", "--period", "2026-Q4")
    database = Database(imported)
    try:
        async with database.session() as session:
            round_id = await round_of_unit(session=session, unit_code="12151", period="2026-Q4")
            assert round_id is not None
            answers = {"radio_station": "active", "radio_programs": 6}
            await store_answers(session, round_id=round_id, answers=answers)
    finally:
        await database.dispose()

    result = await baocao(
        tmp_path, imported, "draft", "--unit", "12151", "--period", "2026-Q4", "--out", "out"
    )
    assert result.returncode == 0, result.stderr
    preview = tmp_path / "out" / "12151_2026-Q4.preview.txt"
    text = await asyncio.to_thread(preview.read_text, "utf-8")
    assert "quý IV năm 2026" in text and "06 chuyên mục" in text and "Lê Văn Cường" in text
    assert "ngày      tháng" in text, "a draft leaves the day for the clerk"
    # Names and phone numbers: what the command wrote is the owner's alone, whatever the umask.
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
    assert {path.stat().st_mode & 0o777 for path in (tmp_path / "out").iterdir()} == {0o600}
    missing = await baocao(
        tmp_path, imported, "draft", "--unit", "12154", "--period", "2025-Q1", "--out", "out"
    )
    assert missing.returncode == 1 and "no 2025-Q1 round for unit '12154'" in missing.stderr
    neither = await baocao(tmp_path, imported, "draft", "--out", "out")
    assert neither.returncode == 2 and "--answers FILE, or --unit CODE" in neither.stderr


# ----- the outbox, and deliveries in `round status` ---------------------------------------------


@pytest.fixture
async def failed_delivery(database: Database) -> dict[str, int]:
    """Tân Quang's report refused by the office's chat for good; Lạc Đạo's still queued."""
    from tests.storage.test_compilation import (
        approve,
        make_commune,
        make_office,
        submit,
        typed_answers,
    )

    office = await make_office(database)
    ids: dict[str, int] = {}
    for code, name in (("12151", "Tân Quang"), ("12160", "Lạc Đạo")):
        commune = await make_commune(database, office, code=code, name=name)
        draft = await approve(database, commune, await submit(database, commune, typed_answers()))
        async with database.session() as session:
            row_id = await session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.draft_id == draft.id, OutboxMessage.purpose == OFFICE_DELIVERY
                )
            )
        assert row_id is not None
        ids[code] = row_id
    async with database.session() as session:
        await give_up(
            session=session,
            row_id=ids["12151"],
            status=OutboxStatus.FAILED,
            error="Chat not found",
        )
    return ids


async def test_round_status_tells_a_failed_and_a_waiting_delivery_apart(
    tmp_path: Path, database_url: str, failed_delivery: dict[str, int]
) -> None:
    result = await baocao(tmp_path, database_url, "round", "status", "--period", "2026-Q4")

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    rows = {line.split()[0]: line.split() for line in lines[2:-1]}
    # code, name (two words), status, submitted, approved, number, delivered[, late]
    assert rows["12151"][6:8] == ["01/BC-UBND", "failed"]
    assert rows["12160"][6:8] == ["01/BC-UBND", "waiting"]
    assert lines[-1].startswith(
        "2 communes: 0 delivered, 1 waiting to be sent, 1 failed to send (baocao outbox list), "
    )


async def test_outbox_list_shows_failed_messages_and_retry_requeues_them(
    tmp_path: Path, database: Database, database_url: str, failed_delivery: dict[str, int]
) -> None:
    failed_id = failed_delivery["12151"]

    listed = await baocao(tmp_path, database_url, "outbox", "list")
    assert listed.returncode == 0, listed.stderr
    header, row, summary = listed.stdout.splitlines()
    assert header.split() == ["id", "status", "tries", "queued", "purpose", "to", "last", "error"]
    assert row.split()[:3] == [str(failed_id), "failed", "0"]
    assert "office_delivery" in row and "office SNV-HY (Sở Nội vụ tỉnh Hưng Yên)" in row
    assert row.endswith("Chat not found")
    assert summary == "1 failed message(s)."
    assert "baocao outbox retry ID" in listed.stderr
    pending = await baocao(tmp_path, database_url, "outbox", "list", "--status", "pending")
    assert f"{failed_delivery['12160']}  pending" in pending.stdout
    assert str(failed_id) not in pending.stdout.split()
    blocked = await baocao(tmp_path, database_url, "outbox", "list", "--status", "blocked")
    assert blocked.stdout == "No blocked messages.\n"

    retried = await baocao(tmp_path, database_url, "outbox", "retry", str(failed_id), "999999")
    assert retried.returncode == 0, retried.stderr
    assert retried.stdout == f"Requeued 1 message(s): {failed_id}.\n"
    assert "Message 999999: no such message." in retried.stderr
    async with database.session() as session:
        row_now = await session.get(OutboxMessage, failed_id)
        assert row_now is not None
        assert (row_now.status, row_now.attempts) == (OutboxStatus.PENDING, 0)

    again = await baocao(tmp_path, database_url, "outbox", "retry", str(failed_id))
    assert again.returncode == 1
    assert f"Message {failed_id}: already waiting to be sent." in again.stderr
    async with database.session() as session:
        await give_up(session=session, row_id=failed_id, status=OutboxStatus.FAILED, error="x")
    every = await baocao(tmp_path, database_url, "outbox", "retry", "--all-failed")
    assert every.stdout == f"Requeued 1 message(s): {failed_id}.\n"
    nothing = await baocao(tmp_path, database_url, "outbox", "retry")
    assert nothing.returncode == 2 and "give the id of a message" in nothing.stderr
