"""PDFs through LibreOffice: the signature block on one page, and the warm converter.

Skipped without LibreOffice (`soffice`) and poppler (`pdftotext`), as CI installs both; the warm
converter's own tests also need a Python that can import uno (Debian: python3-uno).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from report_templates.document import Block, Paragraph, ReportDocument
from report_templates.docx_writer import write_docx
from report_templates.pdf import PdfConverter, uno_python
from tests.report_templates import tan_quang_report

# The LibreOffice tests run on one worker, one after another (pytest-xdist's group): split over
# workers, each would start its own office for the module's converter, seconds each, and the
# conversions would compete for the same cores.
pytestmark = pytest.mark.xdist_group("libreoffice")

needs_office = pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler (pdftotext) are not installed",
)
needs_uno = pytest.mark.skipif(
    shutil.which("soffice") is None or uno_python() is None,
    reason="no Python here can import uno (Debian: apt install python3-uno)",
)

# What the signature block prints, spaces removed: the PDF's text of a letter set in a fallback
# font may come with a space inside a word.
SIGNATURE_BLOCK = ("Nơinhận:", "-Lưu:VT.", "TM.ỦYBANNHÂNDÂN", "CHỦTỊCH", "CaoVănLong")
CLOSING = "trântrọngbáocáo./."


@pytest.fixture(scope="module")
def converter() -> Iterator[PdfConverter]:
    converter = PdfConverter()
    yield converter
    converter.close()


def pages(pdf: Path) -> list[str]:
    """The text of each page of `pdf`, read one page at a time, without whitespace."""
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    (count,) = (int(line.split()[-1]) for line in info.stdout.splitlines() if line[:6] == "Pages:")
    texts = []
    for number in range(1, count + 1):
        page = subprocess.run(
            ["pdftotext", "-f", str(number), "-l", str(number), str(pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
        )
        texts.append("".join(page.stdout.split()))
    return texts


def page_of(texts: list[str], needle: str) -> int:
    found = [number for number, text in enumerate(texts, 1) if needle in text]
    assert len(found) == 1, f"{needle!r} on pages {found}"
    return found[0]


def longer(report: ReportDocument, lines: int) -> ReportDocument:
    """`report` with `lines` one-line paragraphs before its closing sentence."""
    filler = tuple(
        Paragraph(Block.BULLET, f"- Nội dung bổ sung số {n}.") for n in range(1, lines + 1)
    )
    return dataclasses.replace(report, body=report.body[:-1] + filler + report.body[-1:])


@needs_office
def test_the_signature_block_never_splits_across_pages(
    tmp_path: Path, converter: PdfConverter
) -> None:
    # Each extra line moves the signature down by one line; over a page's worth of lines, in
    # steps smaller than the block is tall, the page's end falls inside the block more than once
    # (before the block was kept together, "CHỦ TỊCH" or the name went over to the next page).
    base = tan_quang_report(annex=False)
    moved = 0
    for lines in range(0, 34, 3):
        docx = write_docx(longer(base, lines), tmp_path / f"long_{lines}.docx")
        pdf = converter.convert(docx)
        assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
        texts = pages(pdf)
        block = {page_of(texts, part) for part in SIGNATURE_BLOCK}
        assert len(block) == 1, f"{lines} extra lines: the signature block on pages {block}"
        (page,) = block
        assert page_of(texts, CLOSING) == page, f"{lines} extra lines: the closing sentence apart"
        if lines and page > page_of(texts, f"-Nộidungbổsungsố{lines}."):
            moved += 1  # the block (and the closing sentence) went over to a page of its own
    assert moved, "no length put the signature at a page's end: the test proves nothing"


@needs_office
def test_the_demo_report_signs_on_one_page(tmp_path: Path, converter: PdfConverter) -> None:
    """The demo's approved report (seed 000's figures) split "TM." from "CHỦ TỊCH" before."""
    from definitions.forms import load_form
    from report_templates.draft import read_answers_file, render_draft

    sample = Path(__file__).resolve().parents[2] / "bot/demo_data/answers_tan_quang_2024_h1.json"
    report = read_answers_file(sample, load_form())
    docx = render_draft(report, tmp_path, stem="demo", pdf=False).docx
    pdf = converter.convert(docx)
    assert pdf is not None
    texts = pages(pdf)
    assert len({page_of(texts, part) for part in SIGNATURE_BLOCK}) == 1


async def convert_all(converter: PdfConverter, files: list[Path]) -> list[Path | None]:
    """Convert side by side, as the bot's senders do (each in a thread of its own)."""
    return await asyncio.gather(*(asyncio.to_thread(converter.convert, f) for f in files))


@needs_uno
def test_the_warm_office_serves_several_coroutines_at_once(tmp_path: Path) -> None:
    converter = PdfConverter()
    report = tan_quang_report()
    files = [write_docx(report, tmp_path / f"r{n}.docx") for n in range(4)]
    try:
        made = asyncio.run(convert_all(converter, files))
        assert made == [f.with_suffix(".pdf") for f in files]
        for pdf in made:
            assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
        assert converter.starts == 1 and converter.last_path == "warm"
        office, worker = converter.warm_pids
    finally:
        converter.close()
    # Quit: both processes are gone (waited for, so their ids are free), no partial files left.
    for pid in (office, worker):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".docx"] * 4 + [".pdf"] * 4
    # A closed converter still converts, cold.
    again = converter.convert(files[0])
    assert again is not None and converter.last_path == "cold" and converter.starts == 1


@needs_uno
def test_a_dead_warm_office_is_started_again(tmp_path: Path) -> None:
    converter = PdfConverter()
    docx = write_docx(tan_quang_report(annex=False), tmp_path / "r.docx")
    try:
        assert converter.convert(docx) is not None and converter.last_path == "warm"
        office, _ = converter.warm_pids
        os.killpg(office, signal.SIGKILL)  # the office this test started, and its children
        deadline = time.monotonic() + 10
        while converter.warm_pids and time.monotonic() < deadline:
            time.sleep(0.05)
        docx.with_suffix(".pdf").unlink()
        assert converter.convert(docx) is not None
        assert converter.last_path == "warm" and converter.starts == 2
    finally:
        converter.close()


@needs_office
def test_without_a_working_uno_worker_each_file_is_converted_cold(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # An interpreter without uno: the worker stops at once, the office it was to drive is killed.
    python = sys.executable
    if subprocess.run([python, "-c", "import uno"], capture_output=True).returncode == 0:
        python = "/bin/false"
    converter = PdfConverter(python=python)
    docx = write_docx(tan_quang_report(annex=False), tmp_path / "r.docx")
    with caplog.at_level(logging.WARNING, logger="report_templates.pdf"):
        pdf = converter.convert(docx)
        assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
        assert converter.last_path == "cold" and converter.starts == 0
        assert converter.warm_pids == ()
        # Not tried again for a while: the next file goes cold without a new attempt.
        docx.with_suffix(".pdf").unlink()
        assert converter.convert(docx) is not None
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1 and "did not start" in said[0], said
    converter.close()
