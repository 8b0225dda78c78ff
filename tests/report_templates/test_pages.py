"""A report's pages as pictures (for Zalo): PDFium draws each page of the stored PDF."""

from __future__ import annotations

import struct

import pytest

from report_templates import pages
from tests.channels.test_zalo_approval import two_page_pdf


def test_each_page_is_a_png_of_an_a4_page_at_110_dpi() -> None:
    pdf = two_page_pdf()

    first, second = (pages.render_page(pdf, number) for number in (1, 2))

    assert pages.page_count(pdf) == 2
    for picture in (first, second):
        assert picture.startswith(b"\x89PNG")
        assert struct.unpack(">II", picture[16:24]) == (910, 1286)
        assert len(picture) < 200_000  # sent to a phone on mobile data
    assert first != second


def test_a_page_that_is_not_there_or_a_broken_pdf_is_refused() -> None:
    with pytest.raises(IndexError):
        pages.render_page(two_page_pdf(), 3)
    with pytest.raises(IndexError):
        pages.render_page(two_page_pdf(), 0)
    with pytest.raises(pages.PagesUnavailable):
        pages.page_count(b"%PDF-1.4 not really")
    with pytest.raises(pages.PagesUnavailable):
        pages.render_page(b"<html>", 1)
