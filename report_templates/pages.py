"""A report's pages as pictures, for a channel that cannot carry a document (Zalo): the chairman
reads the draft as it will be printed, page by page, in the chat.

PDFium (pypdfium2) draws the version's PDF, the same file LibreOffice made for the .pdf copy, so
the pictures show exactly what will be signed. At 110 dots per inch an A4 page is 910 x 1286
pixels: the 13-point body text is sharp on a phone held upright and a page stays near 100 kB.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pypdfium2

DPI = 110
# A longer draft means something went wrong (the CCHC report is 3 to 6 pages): the pictures stop
# here and the links carry the whole file.
MAX_PAGES = 12

# PDFium is not thread-safe; the pages of two versions may be asked for at once.
_pdfium = threading.Lock()


class PagesUnavailable(Exception):
    """The PDF could not be read."""


@contextmanager
def _opened(pdf: bytes) -> Iterator[pypdfium2.PdfDocument]:
    with _pdfium:
        try:
            document = pypdfium2.PdfDocument(pdf)
        except pypdfium2.PdfiumError as exc:
            raise PagesUnavailable(str(exc)) from exc
        try:
            yield document
        finally:
            document.close()


def page_count(pdf: bytes) -> int:
    with _opened(pdf) as document:
        return len(document)


def render_page(pdf: bytes, number: int, *, dpi: int = DPI) -> bytes:
    """Page `number` (from 1) as a PNG; IndexError when the document has no such page."""
    with _opened(pdf) as document:
        if not 1 <= number <= len(document):
            raise IndexError(f"no page {number} in a {len(document)}-page document")
        page = document[number - 1]
        try:
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        finally:
            page.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
