"""The bytes behind outgoing items: stored report versions (their .docx, their PDF made once,
their pages as pictures) and an office's compiled files, built when sent; and the files a signed
link names. How each channel sends them is the channel's (channels.telegram, channels.zalo).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import tempfile
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update

from channels.base import FileUnavailable
from channels.links import LinkedFile
from conversations import texts
from conversations.office import OfficeDesk
from conversations.outgoing import CompiledFile, Item, ReportFile
from report_templates import pages
from report_templates.draft import convert_to_pdf
from storage.db import Database
from storage.models import DEFAULT_REPORT_KIND, Draft

logger = logging.getLogger(__name__)

PAGES_KEPT = 24


class ReportFiles:
    """Bytes of stored versions: the .docx as stored, the .pdf made once and kept; and the
    receiving office's compiled files, built when they are sent."""

    def __init__(self, database: Database, *, office: OfficeDesk | None = None) -> None:
        self.database = database
        self.office = office
        # Sends run side by side: one conversion per version, the others wait for it.
        self._converting: dict[int, asyncio.Lock] = {}
        # The pictures of the versions shown last (Zalo fetches each page once, right after
        # it is sent; a few versions' pages are plenty).
        self._pages: OrderedDict[tuple[str, int], bytes] = OrderedDict()

    async def _stored(self, draft_id: int) -> tuple[bytes, bytes | None]:
        async with self.database.session() as session:
            draft = await session.get(Draft, draft_id)
            if draft is None:
                raise FileUnavailable(f"version {draft_id} does not exist")
            return draft.docx, draft.pdf

    async def read(self, draft_id: int, fmt: str) -> bytes:
        docx, pdf = await self._stored(draft_id)
        if fmt == "docx":
            return docx
        if pdf is not None:
            return pdf
        lock = self._converting.setdefault(draft_id, asyncio.Lock())
        async with lock:
            docx, pdf = await self._stored(draft_id)
            if pdf is not None:
                return pdf
            return await self._convert(draft_id, docx)

    async def pages_of(self, draft_id: int) -> tuple[int, str]:
        """How many pages the version prints on (its PDF is made if missing), and a digest of
        that PDF: a page's link names it, so a link to a page of the draft does not show the
        numbered copy that replaced it at approval."""
        pdf = await self.read(draft_id, "pdf")
        try:
            count = await asyncio.to_thread(pages.page_count, pdf)
        except pages.PagesUnavailable as exc:
            raise FileUnavailable(f"the PDF of version {draft_id} cannot be read") from exc
        return count, _digest(pdf)

    async def page(self, draft_id: int, number: int, digest: str) -> bytes:
        """Page `number` (from 1) of the version as a PNG, if its PDF is still the one whose
        `digest` the link names."""
        pdf = await self.read(draft_id, "pdf")
        if _digest(pdf) != digest:
            raise FileUnavailable(f"version {draft_id} changed since the link was made")
        key = (digest, number)
        if key in self._pages:
            self._pages.move_to_end(key)
            return self._pages[key]
        try:
            picture = await asyncio.to_thread(pages.render_page, pdf, number)
        except (pages.PagesUnavailable, IndexError) as exc:
            raise FileUnavailable(f"version {draft_id} has no page {number}") from exc
        self._pages[key] = picture
        while len(self._pages) > PAGES_KEPT:
            self._pages.popitem(last=False)
        return picture

    async def compiled(self, item: CompiledFile) -> tuple[str, bytes]:
        if self.office is None:
            raise FileUnavailable("this process does not build compiled files")
        async with self.database.session() as session:
            try:
                return await self.office.part(session, item, datetime.now(UTC))
            except LookupError as exc:
                raise FileUnavailable(str(exc)) from exc

    async def _convert(self, draft_id: int, docx: bytes) -> bytes:
        made = await asyncio.to_thread(_pdf_from_docx, docx)
        if made is None:
            raise FileUnavailable(f"no PDF could be made of version {draft_id}")
        async with self.database.session() as session:
            # Only if still missing: a version renumbered meanwhile keeps its own new file.
            await session.execute(
                update(Draft)
                .where(Draft.id == draft_id, Draft.pdf.is_(None), Draft.docx == docx)
                .values(pdf=made)
            )
        return made


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _pdf_from_docx(docx: bytes) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="baocao-pdf-") as folder:
        path = Path(folder) / "report.docx"
        path.write_bytes(docx)
        pdf = convert_to_pdf(path)
        return pdf.read_bytes() if pdf is not None else None


def marked_as_possible_repeat(item: Item) -> Item:
    """The same file with a note before its caption that it may repeat an earlier message."""
    if not isinstance(item, ReportFile | CompiledFile):
        return item
    caption = f"{texts.MAYBE_REPEAT_NOTE}\n{item.caption}".rstrip("\n")
    return dataclasses.replace(item, caption=caption)


REPORT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}


COMPILED_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": REPORT_TYPES["docx"],
    "zip": "application/zip",
}


async def linked_report(files: ReportFiles, name: str) -> LinkedFile | None:
    """The file a signed link names (see channels.zalo.outlet), or None when the name is not
    one or the version (or the page, or the office) is gone:
    - "<version id>/<format>/<file name>": a report file;
    - "<version id>/page/<number>/<PDF digest>": a page as a picture;
    - "compiled/<office id>/<period>/<part>/<report kind>": one of an office's compiled files."""
    if name.startswith("compiled/"):
        return await _linked_compiled(files, name)
    draft_id, _, rest = name.partition("/")
    fmt, _, filename = rest.partition("/")
    if not draft_id.isdigit() or not filename:
        return None
    try:
        number, _, digest = filename.partition("/")
        if fmt == "page" and number.isdigit() and digest:
            picture = await files.page(int(draft_id), int(number), digest)
            return LinkedFile(f"trang-{int(number)}.png", "image/png", picture)
        if fmt not in REPORT_TYPES:
            return None
        data = await files.read(int(draft_id), fmt)
    except FileUnavailable:
        return None
    return LinkedFile(filename, REPORT_TYPES[fmt], data)


async def _linked_compiled(files: ReportFiles, name: str) -> LinkedFile | None:
    # A link made before report kinds has no kind: it was CCHC's.
    _, office_id, period_code, part, kind = [*name.split("/"), "", "", "", ""][:5]
    if not office_id.isdigit() or part not in COMPILED_TYPES or not period_code:
        return None
    item = CompiledFile(
        int(office_id),
        period_code,
        part,  # type: ignore[arg-type]
        report_kind=kind or DEFAULT_REPORT_KIND,
    )
    try:
        filename, data = await files.compiled(item)
    except FileUnavailable:
        return None
    return LinkedFile(filename, COMPILED_TYPES[part], data)
