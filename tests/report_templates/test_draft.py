"""Drafts without LibreOffice: a .docx only, said once in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from conversations.forms import load_form
from report_templates import draft
from report_templates.draft import read_answers_file, render_draft

SAMPLE = (
    Path(__file__).resolve().parents[2] / "bot" / "demo_data" / "answers_tan_quang_2024_h1.json"
)


def test_without_libreoffice_a_docx_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no soffice anywhere on it
    monkeypatch.setattr(draft, "_pdf_unavailable_said", False)
    report = read_answers_file(SAMPLE, load_form())
    with caplog.at_level(logging.INFO, logger="report_templates.draft"):
        first = render_draft(report, tmp_path / "a", stem="one")
        second = render_draft(report, tmp_path / "b", stem="two")
    assert first.pdf is None and second.pdf is None
    assert first.docx.stat().st_size > 10_000 and second.docx.exists()
    assert "06 chuyên mục" in first.preview.read_text(encoding="utf-8")
    said = [r for r in caplog.records if "LibreOffice" in r.getMessage()]
    assert len(said) == 1 and said[0].levelno == logging.INFO
