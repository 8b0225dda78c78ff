"""The README's first command: with no token, `baocao` plays the demo and leaves its files."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from conversations import texts
from tests.cli import baocao_here
from tests.e2e.conftest import base_environment

pytestmark = pytest.mark.e2e


async def test_baocao_without_a_token_runs_the_demo(tmp_path: Path) -> None:
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot"],
        env=base_environment(),  # no token, no DATABASE_URL: the embedded default
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "running the local demo instead" in result.stderr
    folder = tmp_path / "demo-output"
    transcript = (folder / "transcript.txt").read_text(encoding="utf-8")
    assert transcript.strip() in result.stdout
    assert "[bot → Hoa Nguyễn Thị] Xin chào anh/chị Nguyễn Thị Hoa!" in transcript
    assert "Chủ tịch Ủy ban nhân dân xã Tân Quang" in transcript
    # Each role's menu: a stranger's, an officer's, the chairman's, the office's group.
    assert "[bot ☰ everyone] menu: /start /help" in transcript
    assert "[bot ☰ Hoa Nguyễn Thị] menu: /baocao /xem /huy /lichsu /help" in transcript
    assert transcript.count("[bot ☰ Hoa Nguyễn Thị]") == 1  # her link opened twice: set once
    assert "[bot ☰ Cường Lê Văn] menu: /lichsu /noinhan /help" in transcript
    assert "[bot ☰ Sở Nội vụ - nhận báo cáo] menu: /tiendo /tonghop" in transcript
    assert texts.NOT_REGISTERED.splitlines()[0] in transcript
    assert texts.INVALID_INVITATION.splitlines()[0] in transcript
    assert "Nhóm này đã được đăng ký nhận báo cáo cho Sở Nội vụ tỉnh Hưng Yên" in transcript
    assert "Phần 1/1 · Câu 2/7" in transcript  # the radio officer's session
    assert "Cảm ơn anh/chị! Đã gửi phần báo cáo của anh/chị." in transcript
    # The approval: returned with a comment, corrected, approved, delivered, acknowledged.
    assert "Đã trả lại báo cáo kèm ý kiến cho: Nguyễn Thị Hoa, Trần Văn Bình" in transcript
    assert "đã duyệt, số 01/BC-UBND" in transcript
    assert (
        "[bot → Bình Trần Văn] 📨 Báo cáo CCHC quý IV năm 2026 của xã Tân Quang (số 01/BC-UBND) "
        "đã được gửi đến Sở Nội vụ tỉnh Hưng Yên." in transcript
    )
    assert "Số liệu đã duyệt của báo cáo CCHC quý IV năm 2026 (phần của anh/chị):" in transcript
    assert "[Lan Bùi Thị ⏎ button] a:" in transcript
    assert texts.ACKNOWLEDGED in transcript
    delivered = docx.Document(str(folder / "BC-CCHC_2026-Q4_12151_tan-quang_so01.docx"))
    delivered_text = "\n".join(
        [paragraph.text for paragraph in delivered.paragraphs]
        + [cell.text for table in delivered.tables for row in table.rows for cell in row.cells]
    )
    assert "09 chuyên mục" in delivered_text and "Lê Văn Cường" in delivered_text
    # The office: progress, a reminder to the commune that has not reported, the compiled files.
    assert "Đã báo cáo: 1/4 đơn vị (đúng hạn 1)." in transcript
    assert "⏳ xã Như Quỳnh: đang nhập số liệu" in transcript
    assert "[bot → Giang Vũ Thị] 🔔 Cơ quan tiếp nhận nhắc" in transcript
    # /tiendo's picture: in the transcript, and kept in the folder as the group got it.
    assert (
        "[bot → Sở Nội vụ - nhận báo cáo] 🖼 photo 1200×675 — 📊 Sở Nội vụ tỉnh Hưng Yên, "
        "CCHC quý IV năm 2026: 1/4 đơn vị đã báo cáo."
    ) in transcript
    picture = (folder / "tien-do_cchc_2026-Q4_SNV-33.png").read_bytes()
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and len(picture) > 10_000
    files_received = transcript.split("--- Files the office's group received (in this folder) ---")
    assert "\ntien-do_cchc_2026-Q4_SNV-33.png" in files_received[1]
    compiled = openpyxl.load_workbook(folder / "TH-CCHC_2026-Q4_SNV-33.xlsx")
    figures = compiled["Số liệu"]
    assert [figures.cell(row, 3).value for row in range(6, 10)] == [
        "xã Tân Quang",
        "xã Như Quỳnh",
        "xã Lạc Đạo",
        "phường Mỹ Hào",
    ]
    assert [figures.cell(row, 4).value for row in range(6, 10)] == [
        "Đã báo cáo",
        "Chưa báo cáo",
        "Chưa báo cáo",
        "Chưa báo cáo",
    ]
    with zipfile.ZipFile(folder / "BC-CCHC_2026-Q4_SNV-33_cac-xa.zip") as archive:
        assert "BC-CCHC_2026-Q4_12151_tan-quang_so01.docx" in archive.namelist()
    summary = docx.Document(str(folder / "BC-TH-CCHC_2026-Q4_SNV-33.docx"))
    assert any(
        "Các đơn vị chưa báo cáo: xã Như Quỳnh, xã Lạc Đạo, phường Mỹ Hào." in paragraph.text
        for paragraph in summary.paragraphs
    )

    # Again into the same folder, named with --out: it starts afresh (a database kept from the
    # first run would number the approved report 02). In this process (tests/cli.py): the
    # command, not the process, is under test here.
    again = await baocao_here("demo", "--out", "demo-output", env=base_environment(), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert f"The demo's files are in {folder.resolve()}" in again.stdout
    transcript = (folder / "transcript.txt").read_text(encoding="utf-8")
    assert "đã duyệt, số 01/BC-UBND" in transcript
    # The second kind, TTHC, from the province's copy of its folder: Hạnh hands in, the chairman
    # approves under the register's next number, the office gets TTHC's own files.
    assert "[bot → Hạnh Đặng Thị] Báo cáo tình hình, kết quả giải quyết thủ tục hành chính" in (
        transcript
    )
    assert "Các cán bộ đã nhập xong số liệu TTHC quý IV năm 2026 của xã Tân Quang" in transcript
    assert "✅ Báo cáo TTHC quý IV năm 2026 của xã Tân Quang đã được duyệt, số 02/BC-UBND" in (
        transcript
    )
    tthc = docx.Document(str(folder / "BC-TTHC_2026-Q4_12151_tan-quang_so02.docx"))
    tthc_text = "\n".join(
        [paragraph.text for paragraph in tthc.paragraphs]
        + [cell.text for table in tthc.tables for row in table.rows for cell in row.cells]
    )
    assert "Tình hình, kết quả giải quyết thủ tục hành chính quý IV năm 2026" in tthc_text
    assert "02/BC-UBND" in tthc_text
    assert "📋 Tiến độ báo cáo TTHC quý IV năm 2026" in transcript
    for name in ("TH-TTHC_2026-Q4_SNV-33.xlsx", "tien-do_tthc_2026-Q4_SNV-33.png"):
        assert (folder / name).is_file(), name
    with zipfile.ZipFile(folder / "BC-TTHC_2026-Q4_SNV-33_cac-xa.zip") as archive:
        assert [n for n in archive.namelist() if n.endswith(".docx")] == [
            "BC-TTHC_2026-Q4_12151_tan-quang_so02.docx"
        ]
    for name in ("demo.sqlite3", "units.csv", "people.csv", "invitations.txt"):
        assert (folder / name).is_file(), name
    draft = docx.Document(str(folder / "answers_tan_quang_2024_h1.docx"))
    assert any("06 chuyên mục" in paragraph.text for paragraph in draft.paragraphs)


async def test_the_zalo_demo_plays_the_flow_with_the_officer_chairman_and_office_on_zalo(
    tmp_path: Path,
) -> None:
    # In this process: the scripted people answer within the millisecond a question arrives.
    result = await baocao_here(
        "demo", "--channel", "zalo", "--out", "zalo", env=base_environment(), cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    transcript = (tmp_path / "zalo" / "transcript.txt").read_text(encoding="utf-8")
    zalo, telegram = transcript.split("--- Telegram ---")
    assert texts.ZALO_NOT_REGISTERED.splitlines()[0] in zalo  # the stranger
    assert "bot → Trần Văn Bình: Xin chào anh/chị Trần Văn Bình!" in zalo
    assert "• 1 — Đang hoạt động" in zalo  # a choice typed by its number
    assert "Anh/chị vui lòng nhập bằng chữ số" in zalo  # "sáu" refused
    assert "Lê Văn Cường → bot: xem số liệu" in zalo
    assert "bot → Lê Văn Cường: Đã trả lại báo cáo kèm ý kiến" in zalo
    assert "bot → Trần Văn Bình: ✏️ Chủ tịch Lê Văn Cường đề nghị sửa báo cáo" in zalo
    assert "bot → Lê Văn Cường: ✅ Đã duyệt. Báo cáo số 01/BC-UBND" in zalo
    assert "bot → Trần Văn Bình: 📨 Báo cáo CCHC quý IV năm 2026 của xã Tân Quang" in zalo
    assert "bấm" not in zalo.lower()  # nothing to press on Zalo
    assert "BC-CCHC_2026-Q4_12151_tan-quang_so01.docx:\nhttp://127.0.0.1:" in zalo  # its link
    assert "Bùi Thị Lan → bot: /tiendo" in zalo  # the office, typing its command
    assert "bot → Bùi Thị Lan: [ảnh http://127.0.0.1:" in zalo  # a page, as a picture
    folder = tmp_path / "zalo"
    docx = (folder / "BC-CCHC_2026-Q4_12151_tan-quang_so01.docx").read_bytes()
    assert docx.startswith(b"PK")  # downloaded through its link
    if shutil.which("soffice") is not None:  # the PDF and its pages need LibreOffice
        pdf = folder / "BC-CCHC_2026-Q4_12151_tan-quang_so01.pdf"
        assert pdf.read_bytes().startswith(b"%PDF")
        assert (folder / "zalo-trang-1.png").read_bytes().startswith(b"\x89PNG")
    telegram_chats = telegram.split("--- What the office received on Zalo")[0]
    assert "BC-CCHC" not in telegram_chats  # Hoa's chat on Telegram has no report in it
