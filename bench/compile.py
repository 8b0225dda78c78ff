"""Compile one period for the whole country: 3,321 communes reporting to one receiving office.

Run from the repository root:
`.venv/bin/python bench/compile.py [--communes N] [--database-url URL] [--profile FILE] [--keep]`.

Setup (not timed, in a process of its own): a fresh SQLite database in a temporary folder (or,
with `--database-url postgresql+asyncpg://.../test`, a fresh database created next to that one on
the same server and dropped at the end), one province, one office receiving every commune (the
worst case), N communes (default 3,321: 2,621 xã, 687 phường, 13 đặc khu in proportion), the
2026-Q4 period and a round per commune. About 95% of the rounds are delivered, each with an
approved version 1: a frozen report JSON with synthetic answers to every question of the form
(long narrative texts included, and the previous quarter's figures) and the final .docx of a
composed report (a handful are rendered and reused). The rest are open, awaiting the chairman
(with an awaiting version) or returned (with a returned version), so they are not reported.

Timed: `baocao compile --period 2026-Q4 --office SNV --out DIR` run as a child process with
DATABASE_URL in its environment, exactly as an administrator runs it (interpreter start, imports
and the schema check included). wall_s is that child's wall time and peak_mb its own peak RSS
(os.wait4). This script imports nothing but the standard library before the child has ended:
Linux carries the spawning process's peak RSS into the child's (it is counted at exec), so a
parent that had built the database in memory would inflate the figure.

Then the outputs are checked, so the benchmark cannot pass on empty files: the .xlsx has a row
per commune on its figures sheet, the .zip one intact .docx per reported commune. The last line
printed is a JSON object:

    {"bench": "compile", "communes": 3321, "wall_s": ..., "peak_mb": ..., "reported": ...,
     "zipped": ..., "xlsx_mb": ..., "summary_kb": ..., "zip_mb": ..., ...}

Targets: wall_s under 30 and peak_mb under 500 ("targets_met"). `--profile FILE` runs the child
under cProfile (slower), writes the stats to FILE and prints the top functions to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.synthetic import create_database, drop_database  # noqa: E402

COUNTRY = 3321
PERIOD = "2026-Q4"
PREVIOUS_PERIOD = "2026-Q3"
PROVINCE_CODE = "P01"
OFFICE_CODE = "SNV"
OFFICE_NAME = "Sở Nội vụ tỉnh Mẫu Sơn"
PROVINCE_NAME = "Mẫu Sơn"
REPORTED_SHARE = 0.95
LATE_SHARE = 0.08  # of the reported: delivered after the deadline
DISTINCT_DOCUMENTS = 6  # final .docx rendered and reused across the communes
DRAFT_BATCH = 200  # rows per bulk insert of versions (each carries a ~40 kB .docx)
SEED = 20261216
WALL_TARGET_S = 30.0
PEAK_TARGET_MB = 500.0
VIETNAM = timedelta(hours=7)
FIRST_COMMUNE_CODE = 10_000

# 2,621 xã, 687 phường and 13 đặc khu since 1 July 2025.
KIND_SHARES = (("special_zone", 13), ("ward", 687))

SYLLABLES = [
    "An",
    "Bình",
    "Châu",
    "Đông",
    "Đức",
    "Giang",
    "Hà",
    "Hải",
    "Hòa",
    "Hưng",
    "Khánh",
    "Lâm",
    "Lộc",
    "Long",
    "Minh",
    "Nam",
    "Nghĩa",
    "Phong",
    "Phú",
    "Phúc",
    "Quang",
    "Sơn",
    "Tân",
    "Thạnh",
    "Thành",
    "Thịnh",
    "Thuận",
    "Tiến",
    "Trung",
    "Trường",
    "Văn",
    "Vĩnh",
    "Xuân",
    "Yên",
]
SIGNERS = (
    "Nguyễn Văn An",
    "Trần Thị Bình",
    "Lê Văn Cường",
    "Phạm Thị Dung",
    "Hoàng Văn Đức",
    "Vũ Thị Hoa",
    "Đặng Văn Long",
    "Bùi Thị Mai",
)
NARRATIVE = (
    "Công tác tuyên truyền cải cách hành chính được Ủy ban nhân dân xã quan tâm chỉ đạo thường "
    "xuyên, gắn với nhiệm vụ phát triển kinh tế - xã hội của địa phương.",
    "Hình thức tuyên truyền ngày càng đa dạng, phong phú, phù hợp với từng nhóm đối tượng, nhất "
    "là qua hệ thống truyền thanh cơ sở, trang thông tin điện tử và mạng xã hội.",
    "Đội ngũ cán bộ, công chức làm việc tại bộ phận tiếp nhận và trả kết quả có tinh thần trách "
    "nhiệm, thái độ phục vụ nhân dân ngày càng được nâng lên.",
    "Một số cán bộ chuyên môn chưa nhận thức được tầm quan trọng của công tác tuyên truyền cải "
    "cách hành chính, chưa phát huy được sự phối hợp nhịp nhàng giữa các bộ phận.",
    "Nguồn kinh phí phục vụ cho công tác tuyên truyền cải cách hành chính còn hạn chế, chưa đáp "
    "ứng được yêu cầu công việc; trang thiết bị của đài truyền thanh đã xuống cấp.",
    "Thông tin về thủ tục hành chính mới ban hành, sửa đổi, bổ sung đôi lúc còn chậm được cập "
    "nhật, niêm yết tại bộ phận tiếp nhận và trả kết quả.",
    "Một bộ phận người dân, nhất là người cao tuổi và đồng bào ở vùng sâu, vùng xa, còn gặp khó "
    "khăn khi thực hiện dịch vụ công trực tuyến trên Cổng dịch vụ công quốc gia.",
    "Đài truyền thanh xã tiếp tục đẩy mạnh việc viết tin, bài, đưa tin các văn bản chỉ đạo, điều "
    "hành về công tác cải cách hành chính qua hệ thống loa truyền thanh tại các thôn.",
    "Đẩy mạnh tuyên truyền các nội dung về đánh giá, tự chấm điểm chỉ số cải cách hành chính cấp "
    "xã thông qua các hội nghị, cuộc họp; phổ biến sâu rộng về kỷ luật, kỷ cương hành chính.",
    "Thường xuyên cập nhật thủ tục hành chính mới ban hành thay thế cho các thủ tục cũ để niêm yết "
    "công khai; lồng ghép tuyên truyền cải cách hành chính với phổ biến, giáo dục pháp luật.",
    "Đề nghị cấp trên quan tâm bố trí kinh phí nâng cấp hệ thống truyền thanh cơ sở và tổ chức "
    "tập huấn nghiệp vụ tuyên truyền cho đội ngũ cán bộ, công chức cấp xã.",
    "Đề nghị Sở Nội vụ cung cấp thêm tài liệu, tờ rơi, pano mẫu về cải cách hành chính để địa "
    "phương in ấn, phát hành đến từng hộ gia đình.",
)


# ---------------------------------------------------------------------------------------------
# The parent: standard library only until the timed child has ended


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=COUNTRY)
    parser.add_argument(
        "--database-url",
        default=None,
        help="a PostgreSQL URL (postgresql+asyncpg://...); a fresh database is created on that "
        "server and dropped afterwards. Default: SQLite in a temporary folder.",
    )
    parser.add_argument("--profile", type=Path, default=None, help="cProfile the child into FILE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--setup", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.communes < 1:
        parser.error("--communes must be at least 1")
    if args.database_url is not None and not args.database_url.startswith("postgresql"):
        parser.error("--database-url is for PostgreSQL; SQLite is the default")
    if args.setup is not None:  # the setup process
        facts = asyncio.run(populate(args.setup, args.communes, args.database_url))
        print(json.dumps(facts))
        return
    result = run(args.communes, args.database_url, args.profile, args.keep)
    print(json.dumps(result))


def run(
    communes: int, admin_url: str | None, profile: Path | None, keep: bool
) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix="bench_compile_"))
    database_url: str | None = None
    try:
        started = time.perf_counter()
        setup_command = [sys.executable, __file__, "--setup", str(folder)]
        setup_command += ["--communes", str(communes)]
        if admin_url is not None:
            setup_command += ["--database-url", admin_url]
        done = subprocess.run(setup_command, stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"setup failed (exit {done.returncode})")
        facts = json.loads(done.stdout.strip().splitlines()[-1])
        database_url = str(facts["database_url"])
        setup_s = time.perf_counter() - started

        out_dir = folder / "out"
        wall_s, usage, output = compile_in_child(folder, out_dir, database_url, profile)
        for line in output.strip().splitlines():
            print(line)
        peak_mb = usage.ru_maxrss / 1024  # kB on Linux

        checked = check_outputs(out_dir, communes, int(facts["reported"]))
        if profile is not None:
            print_profile(profile)
        return {
            "bench": "compile",
            "communes": communes,
            "wall_s": round(wall_s, 2),
            "peak_mb": round(peak_mb, 1),
            **checked,
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "database": "postgresql" if admin_url else "sqlite",
            "database_mb": facts["database_mb"],
            "setup_s": round(setup_s, 1),
            "profiled": profile is not None,
            "targets_met": wall_s < WALL_TARGET_S and peak_mb < PEAK_TARGET_MB,
        }
    finally:
        if admin_url is not None and database_url is not None:
            asyncio.run(drop_database(admin_url, database_url, "baocao_bench_compile_"))
        if keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            _remove_tree(folder)


def compile_in_child(
    folder: Path, out_dir: Path, database_url: str, profile: Path | None
) -> tuple[float, Any, str]:
    """Run `baocao compile` as its own process: wall time, its rusage, what it printed."""
    script = Path(sys.executable).with_name("baocao")
    cli = [str(script)] if script.exists() else [sys.executable, "-m", "bot"]
    if profile is not None:
        cli = [sys.executable, "-m", "cProfile", "-o", str(profile.resolve())] + (
            cli[1:] if cli[0] == sys.executable else cli
        )
    command = [*cli, "compile", "--period", PERIOD, "--office", OFFICE_CODE, "--out", str(out_dir)]
    # Only what the command needs: no token, no settings of the shell, no .env (cwd is the
    # temporary folder).
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("BAOCAO_", "TELEGRAM_", "DATABASE_URL"))
    }
    environment.update(DATABASE_URL=database_url, BAOCAO_LOG_LEVEL="WARNING")
    log = folder / "compile.log"
    with log.open("wb") as sink:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=folder, env=environment, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(child.pid, 0)
        wall_s = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    output = log.read_text(encoding="utf-8", errors="replace")
    if child.returncode != 0:
        sys.stderr.write(output)
        raise SystemExit(f"baocao compile failed (exit {child.returncode})")
    return wall_s, usage, output


def check_outputs(out_dir: Path, communes: int, reported: int) -> dict[str, object]:
    """The three files exist and hold every commune; the figures they give for the JSON line."""
    import zipfile

    from openpyxl import load_workbook

    from report_templates.compiled import FIGURES_HEADER_ROW, FIGURES_SHEET, NARRATIVE_SHEET

    def one(pattern: str) -> Path:
        found = sorted(out_dir.glob(pattern))
        if len(found) != 1:
            raise SystemExit(f"expected one {pattern} in {out_dir}, found {len(found)}")
        return found[0]

    xlsx, summary, archive = one("*.xlsx"), one("*.docx"), one("*.zip")
    book = load_workbook(xlsx, read_only=True)
    try:
        rows = book[FIGURES_SHEET].iter_rows(min_row=FIGURES_HEADER_ROW + 1, values_only=True)
        codes = [row[1] for row in rows if len(row) > 1 and row[1] is not None]
        lines = book[NARRATIVE_SHEET].iter_rows(min_row=4, values_only=True)
        narrative = sum(1 for row in lines if row and row[0] is not None)
    finally:
        book.close()
    if len(codes) != communes or len(set(codes)) != communes:
        raise SystemExit(f"{xlsx.name}: {len(codes)} commune rows, expected {communes}")
    if narrative != communes:
        raise SystemExit(f"{xlsx.name}: {narrative} narrative rows, expected {communes}")
    with zipfile.ZipFile(summary) as document:
        if "word/document.xml" not in document.namelist():
            raise SystemExit(f"{summary.name} is not a .docx")
    with zipfile.ZipFile(archive) as reports:
        entries = reports.infolist()
        names = {entry.filename for entry in entries}
        if len(entries) != reported or len(names) != reported:
            raise SystemExit(f"{archive.name}: {len(entries)} reports, expected {reported}")
        if any(not entry.filename.endswith(".docx") or entry.file_size == 0 for entry in entries):
            raise SystemExit(f"{archive.name} holds an empty or foreign entry")
        broken = reports.testzip()
        if broken is not None:
            raise SystemExit(f"{archive.name}: {broken} is corrupt")
    return {
        "reported": reported,
        "zipped": len(entries),
        "xlsx_mb": round(xlsx.stat().st_size / 2**20, 2),
        "summary_kb": round(summary.stat().st_size / 2**10, 1),
        "zip_mb": round(archive.stat().st_size / 2**20, 1),
    }


def print_profile(path: Path) -> None:
    import pstats

    stats = pstats.Stats(str(path), stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The setup process: a country's communes, rounds and approved versions


async def populate(folder: Path, communes: int, admin_url: str | None) -> dict[str, object]:
    from sqlalchemy import insert, select

    from definitions.forms import load_form
    from report_templates.compose import ReportInput, compose, load_templates
    from report_templates.docx_writer import docx_bytes, load_layout
    from report_templates.from_round import report_to_json
    from report_templates.preview import preview_messages
    from storage.db import Database, upgrade_database
    from storage.models import (
        Draft,
        DraftStatus,
        ReportingRound,
        RoundStatus,
        Unit,
        UnitKind,
    )
    from storage.periods import get_or_create_period, window
    from wording.units import KIND_LABELS

    rng = random.Random(SEED)
    form = load_form()
    templates, layout = load_templates(), load_layout()
    if admin_url is None:
        database_url = f"sqlite+aiosqlite:///{folder / 'compile.sqlite3'}"
    else:
        database_url = await create_database(admin_url, "baocao_bench_compile_")
    try:
        await upgrade_database(database_url)
        database = Database(database_url)
        spec = window(PERIOD)
        deadline = spec.deadline_on

        # Units: a province, its office, and every commune sending to that office.
        kinds = [UnitKind.COMMUNE] * communes
        at = 0
        for kind, share in KIND_SHARES:
            count = round(communes * share / COUNTRY)
            kinds[at : at + count] = [UnitKind(kind)] * count
            at += count
        rng.shuffle(kinds)
        async with database.session() as session:
            province = Unit(code=PROVINCE_CODE, name=PROVINCE_NAME, kind=UnitKind.PROVINCE)
            session.add(province)
            await session.flush()
            office = Unit(
                code=OFFICE_CODE, name=OFFICE_NAME, kind=UnitKind.OFFICE, parent_id=province.id
            )
            session.add(office)
            await session.flush()
            await session.execute(
                insert(Unit),
                [
                    {
                        "code": f"{FIRST_COMMUNE_CODE + n:05d}",
                        "name": _place_name(rng, n),
                        "kind": kinds[n],
                        "parent_id": province.id,
                        "office_id": office.id,
                        "telegram_chat_id": None,
                    }
                    for n in range(communes)
                ],
            )
            period = await get_or_create_period(session=session, code=PERIOD)
            units = (
                await session.execute(
                    select(Unit.id, Unit.code, Unit.name, Unit.kind)
                    .where(Unit.office_id == office.id)
                    .order_by(Unit.code)
                )
            ).all()

            # Rounds: most delivered; the rest still open, with the chairman, or returned.
            statuses = []
            for _ in units:
                if rng.random() < REPORTED_SHARE:
                    statuses.append(RoundStatus.DELIVERED)
                else:
                    statuses.append(
                        rng.choice((RoundStatus.OPEN, RoundStatus.SUBMITTED, RoundStatus.RETURNED))
                    )
            opened_at = _vietnam(date(2026, 12, 7), 8)
            await session.execute(
                insert(ReportingRound),
                [
                    {
                        "period_id": period.id,
                        "unit_id": unit_id,
                        "status": status,
                        "opened_at": opened_at,
                        "closed_at": None,
                    }
                    for (unit_id, *_), status in zip(units, statuses, strict=True)
                ],
            )
            round_of = dict(
                (
                    await session.execute(
                        select(ReportingRound.unit_id, ReportingRound.id).where(
                            ReportingRound.period_id == period.id
                        )
                    )
                ).all()
            )

        # A handful of final reports, rendered once and reused (a real one is ~40 kB).
        documents: list[tuple[bytes, str]] = []
        for index in range(DISTINCT_DOCUMENTS):
            final = ReportInput(
                unit_kind_label=KIND_LABELS[UnitKind.COMMUNE],
                unit_name=_place_name(rng, index),
                period_kind=spec.kind.value,
                period_year=spec.year,
                period_number=spec.number,
                answers=synthetic_answers(form, rng),
                previous=synthetic_answers(form, rng),
                signer_name=rng.choice(SIGNERS),
                signer_role="chairman",
                receiving_office=OFFICE_NAME,
                number=str(index + 1),
                issued_on=deadline - timedelta(days=index),
                draft_date=date(2026, 12, 10),
            )
            document = compose(final, templates=templates)
            documents.append(
                (docx_bytes(document, layout=layout), "\n\n".join(preview_messages(document)))
            )

        # Versions: an approved one per delivered round; an awaiting or returned one for the
        # rounds with the chairman or sent back. Inserted in batches, the .docx being large.
        rows: list[dict[str, Any]] = []
        reported = 0
        async with database.session() as session:
            for (unit_id, _code, name, kind), status in zip(units, statuses, strict=True):
                if status is RoundStatus.OPEN:
                    continue
                frozen = report_to_json(
                    ReportInput(
                        unit_kind_label=KIND_LABELS[kind],
                        unit_name=name,
                        period_kind=spec.kind.value,
                        period_year=spec.year,
                        period_number=spec.number,
                        answers=synthetic_answers(form, rng),
                        previous=synthetic_answers(form, rng),
                        signer_name=rng.choice(SIGNERS),
                        signer_role=rng.choice(("chairman", "chairman", "vice_chairman")),
                        receiving_office=OFFICE_NAME,
                        draft_date=date(2026, 12, 10),
                    )
                )
                docx, preview = documents[rng.randrange(len(documents))]
                late = rng.random() < LATE_SHARE
                day = deadline + timedelta(days=rng.randint(1, 5) if late else -rng.randint(0, 9))
                decided_at = _vietnam(day, rng.uniform(7.5, 17.5))
                created_at = decided_at - timedelta(hours=rng.uniform(1, 72))
                row: dict[str, Any] = {
                    "round_id": round_of[unit_id],
                    "version": 1,
                    "report": frozen,
                    "preview_text": preview,
                    "docx": docx,
                    "pdf": None,
                    "created_at": created_at,
                    "created_by_person_id": None,
                    "decided_at": None,
                    "decided_by_person_id": None,
                    "comment": None,
                    "number": None,
                    "issued_on": None,
                    "delivered_at": None,
                    "acknowledged_at": None,
                    "acknowledged_by_person_id": None,
                }
                if status is RoundStatus.DELIVERED:
                    reported += 1
                    row.update(
                        status=DraftStatus.APPROVED,
                        decided_at=decided_at,
                        number=f"{rng.randint(1, 250):02d}/BC-UBND",
                        issued_on=(decided_at + VIETNAM).date(),
                        delivered_at=decided_at + timedelta(seconds=rng.uniform(2, 600)),
                    )
                elif status is RoundStatus.SUBMITTED:
                    row.update(status=DraftStatus.AWAITING)
                else:
                    row.update(
                        status=DraftStatus.RETURNED,
                        decided_at=decided_at,
                        comment="Đề nghị kiểm tra lại số liệu tin, bài đăng trên trang thông tin.",
                    )
                rows.append(row)
                if len(rows) >= DRAFT_BATCH:
                    await session.execute(insert(Draft), rows)
                    rows.clear()
            if rows:
                await session.execute(insert(Draft), rows)
        await database.dispose()
    except BaseException:
        if admin_url is not None:
            await drop_database(admin_url, database_url, "baocao_bench_compile_")
        raise
    sqlite_file = folder / "compile.sqlite3"
    return {
        "database_url": database_url,
        "reported": reported,
        "database_mb": round(sqlite_file.stat().st_size / 2**20, 1) if admin_url is None else None,
    }


def synthetic_answers(form: Any, rng: random.Random) -> dict[str, Any]:
    """Stored values for every question asked, as the questionnaire would keep them: relevance
    followed, optional ones sometimes skipped, the form's cross-checks respected."""
    from definitions.forms import QuestionType

    answers: dict[str, Any] = {}
    for question in form.questions.values():
        relevant = question.relevant
        if relevant is not None and not relevant.holds(answers.get(relevant.answer)):
            continue
        if not question.required and rng.random() < 0.25:
            continue
        kind = question.type
        value: Any
        if kind in (QuestionType.COUNT, QuestionType.MINUTES):
            ceiling = question.ceiling or 100_000
            value = rng.randint(0, min(ceiling, 3000 if ceiling > 1000 else 40))
        elif kind is QuestionType.PERCENT:
            value = rng.choice((100, 100, 100, 98.5, 95, 90))
        elif kind is QuestionType.YES_NO:
            value = rng.random() < 0.85
        elif kind is QuestionType.CHOICE:
            first, *others = question.choices
            value = first.value if rng.random() < 0.8 else rng.choice(others).value
        elif kind is QuestionType.SHORT_TEXT:
            value = rng.choice(("UBND tỉnh", "UBND xã", "Tuyên truyền qua nhóm Zalo các thôn"))
        elif kind is QuestionType.LONG_TEXT:
            value = _narrative(rng)
        elif kind is QuestionType.DATE:
            value = (date(2026, 9, 15) + timedelta(days=rng.randint(0, 90))).isoformat()
        else:  # a document reference
            issued = date(2026, 1, 1) + timedelta(days=rng.randint(0, 40))
            value = {
                "number": f"{rng.randint(1, 250):02d}",
                "symbol": "KH-UBND",
                "year": None,
                "issued_on": issued.isoformat(),
            }
        answers[question.code] = value
    for question in form.questions.values():
        for rule in question.rules:
            value, other = answers.get(question.code), answers.get(rule.other)
            if isinstance(value, int) and isinstance(other, int):
                if rule.not_more_than is not None:
                    answers[question.code] = min(value, other)
                elif other <= 0:
                    answers[question.code] = 0
    return answers


def _narrative(rng: random.Random) -> str:
    """A few hundred to two thousand characters, in bullets or paragraphs, as officers write."""
    sentences = rng.sample(NARRATIVE, rng.randint(2, 8))
    if rng.random() < 0.5:
        return "\n".join(f"- {sentence}" for sentence in sentences)
    return "\n\n".join(sentences)


def _place_name(rng: random.Random, n: int) -> str:
    name = f"{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"
    return name if rng.random() < 0.9 else f"{name} {n % 9 + 1}"


def _vietnam(day: date, hour: float) -> datetime:
    """That day at that hour in Vietnam, as an aware UTC datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour) - VIETNAM


if __name__ == "__main__":
    main()
