"""The golden test: seed 000's figures, entered as answers, give a .docx a chairman would sign.

`baocao draft` runs as an administrator runs it (in this process, see tests/cli.py); the file is
read back with python-docx and checked for every figure and section of the seed and for the
Decree 30 layout.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Length, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from tests.cli import baocao_here, run_baocao
from tests.e2e.conftest import base_environment

# The module's draft, made once, on the worker that runs the other LibreOffice tests (test_pdf).
pytestmark = pytest.mark.xdist_group("libreoffice")

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "bot" / "demo_data" / "answers_tan_quang_2024_h1.json"

# What seed 000 (shared/seeds/000_b441c9fcaf7f2fc1.txt) states, as its reader would check it.
SEED_FACTS = [
    # The seed prints 29/12/2024, a plan dated after the report itself; the demo's answers carry
    # the evident 29/12/2023.
    "Kế hoạch số 181/KH-UBND ngày 29/12/2023 của UBND huyện Văn Lâm",
    "Kế hoạch số 03/KH-UBND ngày 08/01/2024",
    "6 tháng đầu năm 2024",
    "06 chuyên mục",
    "1 ngày 2 lần",
    "60 phút",
    "tiếp sóng",
    "25 tin, bài",
    "100% thủ tục hành chính",
    "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH",
    "1. Văn bản chỉ đạo, điều hành",
    "2. Nội dung tuyên truyền",
    "(SIPAS)",
    "Quyết định số 22/2020/QĐ-UBND ngày 12/08/2020 của UBND tỉnh Hưng Yên",
    "3. Các hình thức tuyên truyền",
    "II. KẾT QUẢ ĐẠT ĐƯỢC",
    "lồng ghép nội dung cải cách hành chính tại các hội nghị, cuộc họp",
    "III. ĐÁNH GIÁ CHUNG",
    "Tồn tại, hạn chế",
    "IV. PHƯƠNG HƯỚNG",
    "Ủy ban nhân dân xã Tân Quang trân trọng báo cáo./.",
]
SEED_SENTENCES = [
    "Nguồn kinh phí phục vụ cho công tác tuyên truyền cải cách hành chính chưa đáp ứng được yêu "
    "cầu công việc.",
    "Thông tin về cải cách hành chính đôi lúc còn chậm được cập nhật.",
    "Thường xuyên đưa nội dung thực hiện cải cách hành chính vào các cuộc họp, hội nghị",
]


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Document:
    out = tmp_path_factory.mktemp("draft")
    result = run_baocao(
        *("draft", "--answers", str(SAMPLE), "--out", str(out)),
        env=base_environment(DATABASE_URL=f"sqlite+aiosqlite:///{out / 'unused.sqlite3'}"),
        cwd=out,
    )
    assert result.returncode == 0, result.stderr
    pdf = out / f"{SAMPLE.stem}.pdf"
    if shutil.which("soffice"):  # LibreOffice installed: the .pdf comes too
        assert pdf.read_bytes().startswith(b"%PDF"), result.stdout
    else:
        assert "not made (LibreOffice is not installed)" in result.stdout and not pdf.exists()
    return docx.Document(str(out / f"{SAMPLE.stem}.docx"))


def paragraphs(document: Document) -> Iterator[Paragraph]:
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def find(document: Document, starts: str) -> Paragraph:
    for paragraph in paragraphs(document):
        if paragraph.text.strip().startswith(starts):
            return paragraph
    raise AssertionError(f"no paragraph starting {starts!r}")


def all_text(document: Document) -> str:
    return "\n".join(paragraph.text for paragraph in paragraphs(document))


def close(length: Length | None, expected: Length, tolerance_mm: float = 0.5) -> bool:
    return length is not None and abs(length - expected) <= Mm(tolerance_mm)


def test_the_seed_is_on_the_page(drafted: Document) -> None:
    text = all_text(drafted)
    for fact in [*SEED_FACTS, *SEED_SENTENCES]:
        assert fact in text, f"missing from the draft: {fact!r}"
    assert "Số: 134/BC-UBND" in text and "Tân Quang, ngày 14 tháng 6 năm 2024" in text
    assert "TM. ỦY BAN NHÂN DÂN" in text and "CHỦ TỊCH" in text and "Cao Văn Long" in text
    assert "- Lưu: VT." in text
    for never in (" 0 hội nghị", " 00 ", "None", "{{", "{%"):
        assert never not in text


def test_the_page_follows_decree_30(drafted: Document) -> None:
    section = drafted.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert close(section.page_width, Mm(210)) and close(section.page_height, Mm(297))
    assert Mm(20) - Mm(0.5) <= section.top_margin <= Mm(25) + Mm(0.5)
    assert Mm(20) - Mm(0.5) <= section.bottom_margin <= Mm(25) + Mm(0.5)
    assert Mm(30) - Mm(0.5) <= section.left_margin <= Mm(35) + Mm(0.5)
    assert Mm(15) - Mm(0.5) <= section.right_margin <= Mm(20) + Mm(0.5)
    assert section.different_first_page_header_footer, "page numbers start on page 2"
    fonts = {run.font.name for p in paragraphs(drafted) for run in p.runs if run.text.strip()}
    assert fonts == {"Times New Roman"}


def runs_are(paragraph: Paragraph, *, size: float, bold: bool, italic: bool) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(
        run.font.size == Pt(size)
        and bool(run.font.bold) == bold
        and bool(run.font.italic) == italic
        for run in runs
    )


def test_each_element_has_its_decree_30_style(drafted: Document) -> None:
    header: Table = drafted.tables[0]
    issuing = header.cell(0, 0).text
    assert "ỦY BAN NHÂN DÂN" in issuing and "XÃ TÂN QUANG" in issuing
    national = find(drafted, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert runs_are(national, size=12, bold=True, italic=False)
    motto = find(drafted, "Độc lập - Tự do - Hạnh phúc")
    assert runs_are(motto, size=13, bold=True, italic=False) or runs_are(
        motto, size=14, bold=True, italic=False
    )
    assert runs_are(find(drafted, "Số: 134/BC-UBND"), size=13, bold=False, italic=False)
    date_line = find(drafted, "Tân Quang, ngày 14 tháng 6 năm 2024")
    assert runs_are(date_line, size=13, bold=False, italic=True) or runs_are(
        date_line, size=14, bold=False, italic=True
    )
    title = find(drafted, "BÁO CÁO")
    assert runs_are(title, size=14, bold=True, italic=False)
    assert title.alignment == WD_ALIGN_PARAGRAPH.CENTER
    heading = find(drafted, "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH")
    assert all(run.font.bold for run in heading.runs if run.text.strip())
    body = find(drafted, "Căn cứ Kế hoạch số 181/KH-UBND")
    assert body.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
    assert runs_are(body, size=14, bold=False, italic=False)
    indent = body.paragraph_format.first_line_indent
    assert indent is not None and Mm(10) <= indent <= Mm(12.7) + Mm(0.1)
    space_after = body.paragraph_format.space_after
    assert space_after is not None and space_after >= Pt(6)
    assert runs_are(find(drafted, "Nơi nhận:"), size=12, bold=True, italic=True)
    assert runs_are(find(drafted, "- Phòng Nội vụ huyện"), size=11, bold=False, italic=False)
    assert runs_are(find(drafted, "TM. ỦY BAN NHÂN DÂN"), size=14, bold=True, italic=False)
    signer = find(drafted, "Cao Văn Long")
    assert runs_are(signer, size=14, bold=True, italic=False)
    assert signer.alignment == WD_ALIGN_PARAGRAPH.CENTER


def test_the_seed_has_no_annex_and_neither_has_its_draft(drafted: Document) -> None:
    """Seed 000 carries no "BIỂU TỔNG HỢP"; the annex is a province's choice (annex.yaml)."""
    assert "BIỂU TỔNG HỢP" not in all_text(drafted)
    assert not any(
        [cell.text for cell in table.rows[0].cells][:2] == ["TT", "Hình thức tuyên truyền"]
        for table in drafted.tables
    )


async def test_a_bad_answers_file_is_named_by_key(tmp_path: Path) -> None:
    bad = tmp_path / "answers.json"
    bad.write_text(
        '{"unit": {"name": "Tân Quang", "kind": "huyện"}, "period": "2026-Q4",'
        ' "signer": {"name": "A"}, "receiving_office": "Sở Nội vụ",'
        ' "answers": {"radio_programs": "sáu", "web_posts": 2, "web_posts_digital": 3}}',
        encoding="utf-8",
    )
    result = await baocao_here(
        *("draft", "--answers", str(bad), "--out", str(tmp_path)),
        env=base_environment(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"),
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert f"{bad}: answers.radio_programs: " in result.stderr
    assert "chữ số" in result.stderr and "Traceback" not in result.stderr
    # Every problem at once, one a line: the unit's kind and the form's rule too.
    lines = result.stderr.removeprefix("Error: ").splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "unit.kind",
        "answers.radio_programs",
        "answers.web_posts_digital",
    ]
    assert all(line.startswith(f"{bad}: ") for line in lines)
