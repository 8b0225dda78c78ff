"""A `ReportDocument` as plain chat messages, so a chairman can read the draft before approving.

Plain text only (no parse mode): whatever an officer typed is shown as typed. Telegram caps a
message at 4096 characters, so a long report is split, preferably where a section (HEADING_1)
starts, else between paragraphs, and only as a last resort inside a paragraph. Joining the
messages gives back the whole preview: nothing is lost or repeated.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from report_templates.document import AnnexTable, Block, ReportDocument

TELEGRAM_LIMIT = 4096
_GAP = "\n\n"  # a blank line between paragraphs reads well on a phone


def preview_text(document: ReportDocument) -> str:
    """The whole preview as one text; `preview_messages` splits exactly this."""
    return "".join("".join(section) for section in _sections(document))


def preview_messages(document: ReportDocument, *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """The report as chat messages, each at most `limit` characters (counted as Telegram does)."""
    return pack_messages(_sections(document), limit=limit)


def pack_messages(sections: Sequence[Sequence[str]], *, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Chat messages of at most `limit` UTF-16 units from sections of paragraphs (each paragraph
    carrying its own separator): a section stays in one message where it fits, a paragraph too."""
    if limit < 2:
        raise ValueError("limit must be at least 2 characters")
    messages: list[str] = []
    current = ""
    for section in sections:
        whole = "".join(section)
        if _length(current + whole) <= limit:
            current += whole
            continue
        if current:  # a section that does not fit starts a message of its own
            messages.append(current)
            current = ""
        if _length(whole) <= limit:
            current = whole
            continue
        for paragraph in section:  # too long for any message: split between paragraphs
            for piece in (
                [paragraph] if _length(paragraph) <= limit else _hard_split(paragraph, limit)
            ):
                if current and _length(current + piece) > limit:
                    messages.append(current)
                    current = ""
                current += piece
        messages.append(current)  # and the next section starts a message again
        current = ""
    if current:
        messages.append(current)
    return messages


def _sections(document: ReportDocument) -> list[list[str]]:
    """Paragraph texts grouped by section, each ending with the gap except the very last."""
    sections: list[list[str]] = [[document.title, document.summary, document.place_date_line]]
    for paragraph in document.body:
        if paragraph.kind is Block.HEADING_1:
            sections.append([])
        sections[-1].append(paragraph.text)
    sections.append(["\n".join(_closing(document))])
    if document.annex_table is not None:
        sections.append([document.annex_title, *_annex_table_lines(document.annex_table)])
    elif document.annex:
        sections.append([document.annex_title, *_annex_lines(document)])
    texts = [[text for text in section if text.strip()] for section in sections]
    texts = [section for section in texts if section]
    for s_index, section in enumerate(texts):
        last_section = s_index == len(texts) - 1
        for p_index in range(len(section)):
            if not (last_section and p_index == len(section) - 1):
                section[p_index] += _GAP
    return texts


def _closing(document: ReportDocument) -> Iterable[str]:
    yield from document.authority
    yield document.signer_name


def _annex_lines(document: ReportDocument) -> Iterable[str]:
    for number, row in enumerate(document.annex, start=1):
        yield f"{number}. {row.form}: {row.result} ({row.level})"


def _annex_table_lines(table: AnnexTable) -> Iterable[str]:
    """A line per top column of each row, a group's columns after its header: "Số hồ sơ đã
    giải quyết: Tổng số 1.797; Trước hạn 1.402; ..."; a table has no room on a phone."""
    bottom = {
        cell.column: cell
        for cell in table.header
        if cell.width == 1 and cell.row + cell.height == table.header_rows
    }
    for row in table.rows:
        for top in (cell for cell in table.header if cell.row == 0):
            if top.width == 1:
                if row[top.column]:
                    yield f"{top.text}: {row[top.column]}"
                continue
            columns = range(top.column, top.column + top.width)
            parts = [f"{bottom[i].text} {row[i]}" for i in columns if row[i]]
            if parts:
                yield f"{top.text}: {'; '.join(parts)}"


def _length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _hard_split(text: str, limit: int) -> list[str]:
    """Cut a paragraph too long for one message, after a space or line break when possible."""
    parts: list[str] = []
    while _length(text) > limit:
        end = _fit(text, limit)
        cut = max(text.rfind(" ", 0, end), text.rfind("\n", 0, end)) + 1
        if cut <= end // 2:  # no break in the second half: cut mid-word rather than stub
            cut = end
        cut = max(cut, 1)
        parts.append(text[:cut])
        text = text[cut:]
    if text:
        parts.append(text)
    return parts
