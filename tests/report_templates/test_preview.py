"""The chat preview of a report: one message when short, split at sections when long."""

from __future__ import annotations

import dataclasses

import pytest

from report_templates.compose import compose
from report_templates.document import Block, Paragraph, ReportDocument
from report_templates.preview import TELEGRAM_LIMIT, preview_messages, preview_text
from tests.report_templates.test_compose import golden_input, with_answers


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_report_is_one_message_with_everything_a_chairman_reads() -> None:
    document = compose(golden_input())

    messages = preview_messages(document)

    assert len(messages) == 1
    message = messages[0]
    assert message.startswith("BÁO CÁO\n\nKết quả công tác tuyên truyền cải cách hành chính")
    assert "\n\nI. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH\n\n1. Các hình thức tuyên truyền\n\n" in message
    for paragraph in document.body:
        assert paragraph.text in message
    assert "trân trọng báo cáo./.\n\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nCao Văn Long" in message
    assert "BIỂU TỔNG HỢP" not in message  # no annex unless the province or the file asks
    annexed = preview_text(compose(dataclasses.replace(golden_input(), with_annex=True)))
    assert "BIỂU TỔNG HỢP\n\n1. Tuyên truyền cải cách hành chính trên hệ thống truyền thanh" in (
        annexed
    )
    assert message == preview_text(document)


def long_document() -> ReportDocument:
    line = "Nguồn kinh phí phục vụ công tác tuyên truyền cải cách hành chính chưa đáp ứng. " * 3
    long = "\n".join(f"{index:02d}. {line}" for index in range(40))  # about 10,000 characters
    short = "\n".join(f"{index:02d}. {line}" for index in range(8))  # about 2,000 characters
    report = with_answers(limitations=long, strengths=long, directions=short)
    return compose(dataclasses.replace(report, with_annex=True))


def test_long_report_splits_at_section_boundaries() -> None:
    document = long_document()

    messages = preview_messages(document)

    assert len(messages) > 3
    assert all(utf16_length(message) <= TELEGRAM_LIMIT for message in messages)
    assert "".join(messages) == preview_text(document)
    starts = [p.text for p in document.body if p.kind is Block.HEADING_1]
    starts += [document.authority[0], document.annex_title]
    # Section III, the evaluation (about 20,000 characters), is split between its paragraphs;
    # the sections around it start messages, and the small ones after it share one.
    firsts = [message.split("\n\n", 1)[0] for message in messages]
    assert [first for first in firsts if first in starts] == starts[2:4]
    assert messages[0].startswith("BÁO CÁO")
    section_three = "".join(messages[1 : firsts.index(starts[3])])
    assert section_three.startswith(starts[2])
    assert all(utf16_length(message) > TELEGRAM_LIMIT - 400 for message in messages[1:-3])


def test_every_message_of_a_sectioned_split_starts_at_a_paragraph() -> None:
    document = long_document()
    paragraphs = {p.text for p in document.body} | {document.annex_title, document.authority[0]}

    for message in preview_messages(document)[1:]:
        first = message.split("\n\n", 1)[0]
        assert first in paragraphs


def test_a_monster_paragraph_is_cut_without_losing_text() -> None:
    monster = "🚧" + " ".join(f"từ{index}" for index in range(3000)) + "x" * 5000
    base = compose(golden_input())
    document = dataclasses.replace(
        base, body=(*base.body[:3], Paragraph(Block.BODY, monster), *base.body[3:])
    )

    messages = preview_messages(document, limit=1000)

    assert all(utf16_length(message) <= 1000 for message in messages)
    assert "".join(messages) == preview_text(document)
    assert monster in preview_text(document)


def test_emoji_count_twice_towards_the_limit() -> None:
    base = compose(golden_input())
    document = dataclasses.replace(base, body=(Paragraph(Block.BODY, "😀" * 300),))

    messages = preview_messages(document, limit=200)

    assert all(utf16_length(message) <= 200 for message in messages)
    assert "".join(messages) == preview_text(document)


def test_limit_too_small_is_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        preview_messages(compose(golden_input()), limit=1)
