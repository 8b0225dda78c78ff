"""The .docx writer lays a report out per Decree 30/2020/NĐ-CP, Appendix I, whatever its text."""

from __future__ import annotations

import dataclasses
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph as DocxParagraph
from docx.text.run import Run
from lxml import etree

from report_templates.document import (
    AnnexRow,
    AnnexTable,
    Block,
    HeaderCell,
    Paragraph,
    ReportDocument,
)
from report_templates.docx_writer import (
    DEFAULT_LAYOUT_PATH,
    LayoutError,
    annex_column_widths,
    annex_table_column_widths,
    fit_columns,
    line_widths_pt,
    load_layout,
    property_text,
    rule_lengths,
    styled_width_pt,
    text_width_pt,
    write_docx,
    xml_safe,
)
from report_templates.preview import preview_text
from tests.report_templates import tan_quang_report

TNR = "Times New Roman"
CENTER = WD_ALIGN_PARAGRAPH.CENTER
CELL_MARGINS = Mm(2 * 1.905)  # Word's default left + right cell margins


def render(tmp_path: Path, report: ReportDocument, name: str = "report.docx") -> DocxDocument:
    path = write_docx(report, tmp_path / name)
    assert path == tmp_path / name
    return Document(str(path))


@pytest.fixture
def report() -> ReportDocument:
    return tan_quang_report()


@pytest.fixture
def doc(tmp_path: Path, report: ReportDocument) -> DocxDocument:
    return render(tmp_path, report)


HALF_MM = Mm(0.5)


def near(actual: Length | None, expected: Length, tolerance: Length = HALF_MM) -> bool:
    return actual is not None and abs(actual - expected) <= tolerance


def texts(cell: _Cell) -> list[str]:
    return [paragraph.text for paragraph in cell.paragraphs]


def assert_font(run: Run, size: float, *, bold: bool, italic: bool) -> None:
    assert run.font.name == TNR, run.text
    assert run.font.size == Pt(size), run.text
    assert run.font.bold is bold, run.text
    assert run.font.italic is italic, run.text


def assert_paragraph(
    paragraph: DocxParagraph, size: float, *, bold: bool, italic: bool, alignment: object = CENTER
) -> None:
    assert paragraph.runs, f"no text in {paragraph.text!r}"
    for run in paragraph.runs:
        assert_font(run, size, bold=bold, italic=italic)
    assert paragraph.alignment == alignment, paragraph.text


def all_paragraphs(doc: DocxDocument) -> Iterator[DocxParagraph]:
    yield from doc.paragraphs
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs
    for header in (doc.sections[0].header, doc.sections[0].first_page_header):
        yield from header.paragraphs


def borders(table: Table) -> dict[str, str]:
    found = table._tbl.tblPr.find(qn("w:tblBorders"))
    assert found is not None
    return {etree.QName(edge).localname: edge.get(qn("w:val")) for edge in found}


def rule_length(paragraph: DocxParagraph, available: Length) -> Length:
    """How long the top border of an empty rule paragraph is drawn."""
    top = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:top')}")
    assert top is not None, "no line drawn"
    assert top.get(qn("w:val")) == "single"
    assert paragraph.text == ""
    assert paragraph.alignment == CENTER
    fmt = paragraph.paragraph_format
    return Length(available - (fmt.left_indent or 0) - (fmt.right_indent or 0))


def test_the_page_is_a4_portrait_with_the_decree_margins(doc: DocxDocument) -> None:
    section = doc.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert near(section.page_width, Mm(210))
    assert near(section.page_height, Mm(297))
    assert near(section.top_margin, Mm(20))
    assert near(section.bottom_margin, Mm(20))
    assert near(section.left_margin, Mm(30))
    assert near(section.right_margin, Mm(15))


def test_every_run_is_black_times_new_roman_also_for_east_asian_text(doc: DocxDocument) -> None:
    runs = [run for paragraph in all_paragraphs(doc) for run in paragraph.runs]
    assert len(runs) > 50
    for run in runs:
        assert run.font.name == TNR, run.text
        east_asian = run._r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}").get(qn("w:eastAsia"))
        assert east_asian == TNR, run.text
        assert run.font.color.rgb == RGBColor(0, 0, 0), run.text
    # Defaults, which empty paragraphs use, name the font outright instead of the theme's.
    defaults = doc.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    rfonts = defaults.find(qn("w:rFonts"))
    assert dict(rfonts.attrib) == {qn(f"w:{a}"): TNR for a in ("ascii", "hAnsi", "eastAsia", "cs")}


def test_the_heading_table_holds_body_motto_number_and_date(
    doc: DocxDocument, report: ReportDocument
) -> None:
    table = doc.tables[0]
    assert borders(table) == dict.fromkeys(borders(table), "nil")
    assert len(borders(table)) == 6
    body, nation = table.rows[0].cells
    number, date = table.rows[1].cells
    assert texts(body) == ["ỦY BAN NHÂN DÂN", "XÃ TÂN QUANG", ""]
    assert texts(nation) == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "",
    ]
    assert texts(number) == [report.number_line]
    assert texts(date) == [report.place_date_line]
    for paragraph in body.paragraphs[:2]:
        assert_paragraph(paragraph, 13, bold=True, italic=False)
    assert_paragraph(nation.paragraphs[0], 12, bold=True, italic=False)
    assert_paragraph(nation.paragraphs[1], 13, bold=True, italic=False)
    assert_paragraph(number.paragraphs[0], 13, bold=False, italic=False)
    assert_paragraph(date.paragraphs[0], 14, bold=False, italic=True)
    # The issuing body sits left of the national title, in the narrower column.
    assert body.width is not None and nation.width is not None
    assert body.width < nation.width
    assert near(Length(body.width + nation.width), Mm(165))


def rules_of(doc: DocxDocument) -> tuple[Length, Length, Length]:
    """The lengths of the lines under the issuing body, the motto and the summary."""
    body, nation = doc.tables[0].rows[0].cells
    assert body.width is not None and nation.width is not None
    return (
        rule_length(body.paragraphs[-1], Length(body.width - CELL_MARGINS)),
        rule_length(nation.paragraphs[-1], Length(nation.width - CELL_MARGINS)),
        rule_length(doc.paragraphs[2], Mm(165)),
    )


def width(text: str, size: float) -> Length:
    """How wide `text` prints in bold Times New Roman of `size` points."""
    return Pt(text_width_pt(text, size, bold=True))


def test_short_lines_run_under_the_issuing_body_motto_and_summary(doc: DocxDocument) -> None:
    under_body, under_motto, under_summary = rules_of(doc)
    # Decree 30: under the motto as long as the motto; under the issuing body and the summary
    # 1/3 to 1/2 of the line (the layout's 0.4), all centred under their text.
    motto = width("Độc lập - Tự do - Hạnh phúc", 13)
    assert near(motto, Mm(56.2)) and near(under_motto, motto)
    longest_body_line = width("ỦY BAN NHÂN DÂN", 13)
    assert near(longest_body_line, Mm(43.2))
    assert near(under_body, Length(0.4 * longest_body_line))
    summary = width("Kết quả công tác tuyên truyền cải cách hành chính 6 tháng đầu năm 2024", 14)
    assert Mm(150) < summary < Mm(165)  # one line
    assert near(under_summary, Length(0.4 * summary))


def test_the_rules_keep_a_gap_below_the_letters(doc: DocxDocument) -> None:
    body, nation = doc.tables[0].rows[0].cells
    for rule in (body.paragraphs[-1], nation.paragraphs[-1], doc.paragraphs[2]):
        fmt = rule.paragraph_format
        assert fmt.space_before == Pt(3)  # layout.yaml's rule_gap_pt, below the line above
        assert fmt.left_indent == fmt.right_indent  # centred
        assert fmt.line_spacing == Pt(1)  # an empty line as thin as the rule's mark
        mark = rule._p.find(f"{qn('w:pPr')}/{qn('w:rPr')}/{qn('w:sz')}")
        assert mark is not None and mark.get(qn("w:val")) == "2"
        top = rule._p.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:top')}")
        assert top.get(qn("w:space")) == "0"


def test_the_rules_follow_the_text_and_the_layout(tmp_path: Path, report: ReportDocument) -> None:
    long_name = dataclasses.replace(
        report, issuing_body=("Ủy ban nhân dân", "phường Hoàn Kiếm"), summary="Kết quả quý I"
    )
    under_body, _, under_summary = rules_of(render(tmp_path, long_name))
    assert near(under_body, Length(0.4 * width("PHƯỜNG HOÀN KIẾM", 13)))
    assert near(under_summary, Length(0.4 * width("Kết quả quý I", 14)))

    custom = tmp_path / "layout.yaml"
    custom.write_text(
        "header:\n  issuing_body_rule_ratio: 0.5\n  summary_rule_ratio: 0.34\n"
        "elements:\n  motto: {size_pt: 14}\n",
        encoding="utf-8",
    )
    doc = Document(str(write_docx(report, tmp_path / "custom.docx", layout=load_layout(custom))))
    under_body, under_motto, under_summary = rules_of(doc)
    assert near(under_body, Length(0.5 * width("ỦY BAN NHÂN DÂN", 13)))
    assert near(under_motto, width("Độc lập - Tự do - Hạnh phúc", 14))
    summary = width(report.summary, 14)
    assert near(under_summary, Length(0.34 * summary))


def test_control_characters_in_stored_text_are_left_out_not_a_crash(
    tmp_path: Path, report: ReportDocument
) -> None:
    """Names imported before control characters were refused may still hold one."""
    tainted = dataclasses.replace(report, issuing_body=("Ủy ban nhân dân", "xã Tân\x00 Quang\x1f"))
    doc = render(tmp_path, tainted)
    assert "XÃ TÂN QUANG" in "\n".join(p.text for p in doc.tables[0].cell(0, 0).paragraphs)


def test_a_summary_of_two_lines_is_measured_by_its_longest_line() -> None:
    layout = load_layout()
    summary = "Kết quả công tác tuyên truyền cải cách hành chính " * 2
    lines = line_widths_pt(summary, layout.elements.summary, Mm(165).pt)
    assert len(lines) == 2 and all(0 < line <= Mm(165).pt for line in lines)
    report = dataclasses.replace(tan_quang_report(), summary=summary)
    rules = rule_lengths(report, layout)
    assert rules.summary_mm == pytest.approx(0.4 * max(lines) * 25.4 / 72, abs=0.01)
    # The motto rule never outgrows its column, nor the issuing body's rule its own.
    huge = dataclasses.replace(report, issuing_body=("Ủy ban nhân dân", "W" * 80))
    assert rule_lengths(huge, layout).issuing_body_mm <= 0.4 * (62 - 2 * 1.905) + 0.01


def test_text_width_uses_times_metrics_for_vietnamese_letters() -> None:
    # Times-Roman: T 611, i 278, m 778, e 444, s 389 thousandths of an em.
    assert text_width_pt("Times", 10) == pytest.approx(25.0)
    assert text_width_pt("Times", 10, bold=True) == pytest.approx(26.11)  # 667 278 833 444 389
    assert text_width_pt("ệ", 14) == text_width_pt("e", 14)  # marks above and below: no width
    assert text_width_pt("Đ", 13, bold=True) == text_width_pt("D", 13, bold=True)
    assert text_width_pt("ơ", 13) > text_width_pt("o", 13)  # the horn sticks out
    assert text_width_pt("e\u0302\u0323", 14) == text_width_pt("e", 14)  # decomposed marks
    assert text_width_pt("", 14) == 0
    assert text_width_pt("漢字", 10) == pytest.approx(20.0)


def test_title_and_summary_are_bold_14_centred(doc: DocxDocument, report: ReportDocument) -> None:
    title, summary = doc.paragraphs[:2]
    assert title.text == "BÁO CÁO"
    assert summary.text == report.summary
    assert_paragraph(title, 14, bold=True, italic=False)
    assert_paragraph(summary, 14, bold=True, italic=False)


EXPECTED_BLOCK_FONTS = {
    Block.HEADING_1: (True, False),
    Block.HEADING_2: (True, False),
    Block.HEADING_3: (True, True),
    Block.BODY: (False, False),
    Block.BULLET: (False, False),
}


def test_body_paragraphs_are_justified_indented_and_spaced(
    doc: DocxDocument, report: ReportDocument
) -> None:
    written = doc.paragraphs[3 : 3 + len(report.body)]
    assert len(written) == len(report.body)
    assert {block.kind for block in report.body} == set(Block)
    for block, paragraph in zip(report.body, written, strict=True):
        expected = block.text.upper() if block.kind is Block.HEADING_1 else block.text
        assert paragraph.text == expected
        bold, italic = EXPECTED_BLOCK_FONTS[block.kind]
        assert_paragraph(
            paragraph, 14, bold=bold, italic=italic, alignment=WD_ALIGN_PARAGRAPH.JUSTIFY
        )
        fmt = paragraph.paragraph_format
        assert near(fmt.first_line_indent, Cm(1.27), Mm(0.1))
        assert fmt.space_after is not None and fmt.space_after >= Pt(6)
        assert isinstance(fmt.line_spacing, float)  # a multiple of single spacing, not exact pt
        assert 1.0 <= fmt.line_spacing <= 1.5
    assert written[1].text == "I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH"
    assert written[8].text.startswith("- Đăng tải")


def test_the_closing_table_holds_recipients_authority_and_signer(
    doc: DocxDocument, report: ReportDocument
) -> None:
    table = doc.tables[1]
    assert set(borders(table).values()) == {"nil"}
    recipients, signature = table.rows[0].cells
    label, *lines = recipients.paragraphs
    assert label.text == "Nơi nhận:"
    assert_paragraph(label, 12, bold=True, italic=True, alignment=WD_ALIGN_PARAGRAPH.LEFT)
    assert [line.text for line in lines] == list(report.recipients)
    for line in lines:
        assert_paragraph(line, 11, bold=False, italic=False, alignment=WD_ALIGN_PARAGRAPH.LEFT)
        assert line.paragraph_format.line_spacing == 1.0
        assert line.paragraph_format.space_after == 0

    paragraphs = signature.paragraphs
    assert [p.text for p in paragraphs] == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "",
        "",
        "",
        "",
        "Cao Văn Long",
    ]
    for paragraph in paragraphs[:2]:
        assert_paragraph(paragraph, 14, bold=True, italic=False)
    assert all(not p.runs for p in paragraphs[2:6])  # room to sign and seal
    assert_paragraph(paragraphs[6], 14, bold=True, italic=False)


def test_pages_are_numbered_from_page_two_centred_at_the_top(doc: DocxDocument) -> None:
    section = doc.sections[0]
    assert section.different_first_page_header_footer is True
    header = section.header
    assert not header.is_linked_to_previous
    instructions = header._element.findall(f".//{qn('w:instrText')}")
    assert [i.text.strip() for i in instructions] == ["PAGE"]
    kinds = [c.get(qn("w:fldCharType")) for c in header._element.iter(qn("w:fldChar"))]
    assert kinds == ["begin", "separate", "end"]
    (paragraph,) = header.paragraphs
    assert paragraph.alignment == CENTER
    for run in paragraph.runs:
        assert_font(run, 14, bold=False, italic=False)
    first = section.first_page_header
    assert not first.is_linked_to_previous
    assert first._element.find(f".//{qn('w:instrText')}") is None
    assert all(p.text == "" for p in first.paragraphs)


def test_the_annex_table_follows_on_a_new_page(doc: DocxDocument, report: ReportDocument) -> None:
    title, subtitle = doc.paragraphs[-2:]
    assert title.text == "BIỂU TỔNG HỢP"
    assert title.paragraph_format.page_break_before is True
    assert_paragraph(title, 14, bold=True, italic=False)
    assert subtitle.text == report.annex_subtitle
    assert_paragraph(subtitle, 14, bold=False, italic=True)

    assert len(doc.tables) == 3
    table = doc.tables[2]
    assert set(borders(table).values()) == {"single"}
    header, *rows = table.rows
    assert [cell.text for cell in header.cells] == [
        "TT",
        "Hình thức tuyên truyền",
        "Kết quả",
        "Mức độ",
    ]
    for cell in header.cells:
        assert_paragraph(cell.paragraphs[0], 13, bold=True, italic=False)
    assert [[cell.text for cell in row.cells] for row in rows] == [
        [str(n), item.form, item.result, item.level] for n, item in enumerate(report.annex, 1)
    ]
    for row in rows:
        for cell in row.cells:
            for run in cell.paragraphs[0].runs:
                assert_font(run, 13, bold=False, italic=False)


def test_no_annex_page_without_annex_rows(tmp_path: Path) -> None:
    doc = render(tmp_path, tan_quang_report(annex=False))
    assert len(doc.tables) == 2
    assert not any(p.paragraph_format.page_break_before for p in doc.paragraphs)
    assert all("BIỂU TỔNG HỢP" not in p.text for p in doc.paragraphs)
    assert doc.paragraphs[-1].text.endswith("trân trọng báo cáo./.")


def test_document_properties_name_the_report(doc: DocxDocument, report: ReportDocument) -> None:
    props = doc.core_properties
    assert props.title == report.summary
    assert props.author == "Ủy ban nhân dân xã Tân Quang"
    assert props.comments == ""
    assert props.last_modified_by in ("", props.author)


HOSTILE = (
    "{{ officer.name }} {% for x in items %}{{ x|safe }}{% endfor %} ${x} {0} %s",
    "<w:p><w:r><w:t>chèn</w:t></w:r></w:p> & &amp; \"quoted\" 'single' ]]> <!-- -->",
    "a\x00b\x07c\x1bd\x7fe\x0bf\ufffeg\ud800h – tab\there",
    "Chúc mừng 🎉👍🏽 👨‍👩‍👧 ﷺ 漢字 עברית",
    ("Đẩy mạnh cải cách hành chính. " * 323)[:10_000],
)


@pytest.mark.parametrize("text", HOSTILE, ids=["template", "xml", "control", "emoji", "long"])
def test_hostile_text_is_kept_verbatim_minus_forbidden_characters(
    tmp_path: Path, text: str
) -> None:
    report = dataclasses.replace(
        tan_quang_report(),
        number_line=text,
        summary=text,
        body=(Paragraph(Block.BODY, text), Paragraph(Block.BULLET, f"- {text}")),
        recipients=(text,),
        signer_name=text,
        annex=(AnnexRow(text, text, text),),
    )
    path = write_docx(report, tmp_path / "hostile.docx")
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        etree.fromstring(archive.read("word/document.xml"))  # well-formed
    doc = Document(str(path))
    clean = xml_safe(text)
    assert not any(ch in clean for ch in "\x00\x07\x1b\x7f\x0b\ufffe\ud800")
    assert doc.tables[0].rows[1].cells[0].text == clean
    assert doc.paragraphs[1].text == clean
    assert [p.text for p in doc.paragraphs[3:5]] == [clean, f"- {clean}"]
    assert doc.tables[1].rows[0].cells[0].paragraphs[1].text == clean
    assert doc.tables[1].rows[0].cells[1].paragraphs[-1].text == clean
    assert [c.text for c in doc.tables[2].rows[1].cells] == ["1", clean, clean, clean]
    assert doc.core_properties.title == property_text(text)
    # Text never became markup: the document holds exactly the paragraphs and tables written.
    assert len(doc.tables) == 3
    assert len(doc.paragraphs) == 3 + 2 + 2


def test_property_text_is_one_line_of_at_most_255_characters() -> None:
    assert property_text("Báo cáo\nquý  IV\x00") == "Báo cáo quý IV"
    long = property_text("Đẩy mạnh " * 100)
    assert len(long) == 255
    assert long.endswith("…")
    assert long.startswith("Đẩy mạnh Đẩy mạnh")


def test_xml_safe_drops_only_what_xml_forbids() -> None:
    assert xml_safe("a\x00b\x08c\x0bd\x0ce\x1ff\x7fg\x9fh") == "abcdefgh"
    assert xml_safe("tab\tline\nwin\r\nmac\r") == "tab\tline\nwin\nmac\n"
    assert xml_safe("\ud83d\ufffe\uffff") == ""
    assert xml_safe("Độc lập 🎉 <&>") == "Độc lập 🎉 <&>"


def test_write_docx_leaves_only_the_finished_file(tmp_path: Path, report: ReportDocument) -> None:
    path = write_docx(report, tmp_path / "bc.docx")
    write_docx(report, path)  # overwriting is fine
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bc.docx"]
    assert zipfile.is_zipfile(path)


def test_the_packaged_layout_is_the_decree_default_and_cached() -> None:
    layout = load_layout()
    assert load_layout() is layout
    assert load_layout(DEFAULT_LAYOUT_PATH) is layout
    assert layout.font_name == TNR
    assert (layout.page_width_mm, layout.page_height_mm) == (210, 297)
    assert (layout.margin_top_mm, layout.margin_bottom_mm) == (20, 20)
    assert (layout.margin_left_mm, layout.margin_right_mm) == (30, 15)
    assert layout.elements.recipients_label.bold and layout.elements.recipients_label.italic
    assert layout.elements.issuing_body.upper and not layout.elements.signer.upper


def test_a_province_layout_changes_only_what_it_sets(
    tmp_path: Path, report: ReportDocument
) -> None:
    custom = tmp_path / "hung_yen.yaml"
    custom.write_text(
        "page:\n  margin_top_mm: 25\n  margin_left_mm: 35\n"
        "body:\n  line_spacing: 1.5\n  first_line_indent_cm: 1.0\n"
        "elements:\n  body: {size_pt: 13}\n  heading_1: {size_pt: 13}\n",
        encoding="utf-8",
    )
    layout = load_layout(custom)
    doc = Document(str(write_docx(report, tmp_path / "bc.docx", layout=layout)))
    section = doc.sections[0]
    assert near(section.top_margin, Mm(25))
    assert near(section.left_margin, Mm(35))
    assert near(section.right_margin, Mm(15))  # from the packaged default
    basis, heading = doc.paragraphs[3:5]
    assert_paragraph(basis, 13, bold=False, italic=False, alignment=WD_ALIGN_PARAGRAPH.JUSTIFY)
    assert_paragraph(heading, 13, bold=True, italic=False, alignment=WD_ALIGN_PARAGRAPH.JUSTIFY)
    assert basis.paragraph_format.line_spacing == 1.5
    assert near(basis.paragraph_format.first_line_indent, Cm(1.0), Mm(0.1))
    assert_paragraph(doc.paragraphs[0], 14, bold=True, italic=False)  # title unchanged


@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("page:\n  margin_left_mm: 25\n", "page.margin_left_mm"),
        ("page:\n  margin_top_mm: '20'\n", "page.margin_top_mm"),
        ("elements:\n  motto: {size_pt: 16}\n", "elements.motto.size_pt"),
        ("elements:\n  body:\n    bold: 'yes'\n", "elements.body.bold"),
        ("elements:\n  motto: 13\n", "elements.motto"),
        ("page:\n  colour: red\n", "page.colour"),
        ("font: ''\n", "font"),
        ("closing:\n  signature_blank_lines: 4.5\n", "closing.signature_blank_lines"),
        ("body:\n  line_spacing: 2\n", "body.line_spacing"),
        ("header:\n  left_column_mm: 90\n", "header.left_column_mm"),
        ("header:\n  issuing_body_rule_ratio: 0.6\n", "header.issuing_body_rule_ratio"),
        ("header:\n  summary_rule_ratio: 0.25\n", "header.summary_rule_ratio"),
        ("header:\n  rule_gap_pt: 0\n", "header.rule_gap_pt"),
        ("page: [1, 2\n", "line 2"),
        ("- a list\n- not a mapping\n", "(top level)"),
    ],
)
def test_a_bad_layout_names_the_file_and_the_key(tmp_path: Path, content: str, key: str) -> None:
    path = tmp_path / "bad_layout.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad_layout\.yaml") as caught:
        load_layout(path)
    assert isinstance(caught.value, LayoutError)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{path.resolve()}: {key}: ")


def test_a_missing_layout_file_is_a_layout_error(tmp_path: Path) -> None:
    with pytest.raises(LayoutError, match=r"nowhere\.yaml"):
        load_layout(tmp_path / "nowhere.yaml")


def test_retired_rule_lengths_in_a_province_layout_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    old = tmp_path / "old_layout.yaml"
    old.write_text("header:\n  motto_rule_mm: 56\n  issuing_body_rule_mm: 18\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="report_templates.docx_writer"):
        layout = load_layout(old)
    assert layout.issuing_body_rule_ratio == 0.4
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2 and all("no longer used" in m and "old_layout.yaml" in m for m in said)


# --- the closing stays on one page -----------------------------------------------------------


def has(paragraph: DocxParagraph, tag: str) -> bool:
    return paragraph._p.find(f"{qn('w:pPr')}/{qn(tag)}") is not None


def test_the_signature_block_is_kept_together(doc: DocxDocument, report: ReportDocument) -> None:
    closing = doc.tables[1]
    (row,) = closing.rows
    assert row._tr.find(f"{qn('w:trPr')}/{qn('w:cantSplit')}") is not None
    for cell in row.cells:
        for paragraph in cell.paragraphs:
            assert paragraph.paragraph_format.keep_with_next is True, paragraph.text
            assert paragraph.paragraph_format.keep_together is True, paragraph.text
    # The closing sentence goes with it; other body paragraphs flow freely.
    last = doc.paragraphs[2 + len(report.body)]
    assert last.text == report.body[-1].text
    assert last.paragraph_format.keep_with_next is True
    plain = [p for p in doc.paragraphs[3 : 2 + len(report.body)] if p.text.startswith("- ")]
    assert plain and not any(has(p, "w:keepNext") for p in plain)


# --- the annex's columns ---------------------------------------------------------------------


def one_line(text: str, style_width: Length, column: float) -> bool:
    return style_width <= Mm(column) - CELL_MARGINS + Mm(0.01)


def test_annex_columns_fit_their_content(doc: DocxDocument, report: ReportDocument) -> None:
    layout = load_layout()
    widths = annex_column_widths(report, layout)
    assert sum(widths) == pytest.approx(165)
    cell, header = layout.elements.annex_cell, layout.elements.annex_header
    number, form, result, level = widths
    # "TT", the numbers and "Đạt" / "Chưa đạt" stay on one line; the longest texts get the room.
    for text in ("TT", "Mức độ"):
        column = number if text == "TT" else level
        assert one_line(text, Pt(styled_width_pt(text, header)), column)
    for row in report.annex:
        assert one_line(row.level, Pt(styled_width_pt(row.level, cell)), level)
    assert one_line("4", Pt(styled_width_pt("4", cell)), number)
    assert result > form > level > number
    assert number < 15  # no wider than its content needs (plus its share of the spare room)
    # The .docx carries the widths.
    table = doc.tables[2]
    for column, expected in zip(table.columns, widths, strict=True):
        assert near(column.width, Mm(expected), Mm(0.1))


def test_annex_columns_follow_the_longest_text(tmp_path: Path, report: ReportDocument) -> None:
    layout = load_layout()
    long_form = dataclasses.replace(
        report,
        annex=(
            AnnexRow(
                "Tuyên truyền lồng ghép tại các hội nghị, cuộc họp, buổi sinh hoạt của thôn, "
                "tổ dân phố, các đoàn thể và tại Trung tâm Phục vụ hành chính công xã",
                "02 cuộc",
                "Đạt",
            ),
        ),
    )
    number, form, result, level = annex_column_widths(long_form, layout)
    assert form > result + level + number  # the long text takes the room it needs
    cell = layout.elements.annex_cell
    assert one_line("02 cuộc", Pt(styled_width_pt("02 cuộc", cell)), result)
    doc = render(tmp_path, long_form)
    assert near(doc.tables[2].columns[1].width, Mm(form), Mm(0.1))


def test_fit_columns_fills_the_width_and_never_cuts_a_word() -> None:
    style = load_layout().elements.annex_cell
    short = [[("1", style)], [("Đạt", style)], [("Truyền thanh", style)]]
    widths = fit_columns(short, 165)
    assert sum(widths) == pytest.approx(165)
    # Every cell fits on one line, with the room left shared out: the longer text, the wider.
    naturals = [Pt(styled_width_pt(t, style)) for ((t, _),) in short]
    assert all(Mm(w) > n + CELL_MARGINS for w, n in zip(widths, naturals, strict=True))
    assert widths[2] > widths[1] > widths[0]
    word = "Khônggạchnốiđượcnàyrấtdàiđểthửxemcộtcógiữđượckhông"
    crowded = [[(word, style)], [("một hai ba bốn năm sáu bảy tám chín mười " * 8, style)]]
    widths = fit_columns(crowded, 165)
    assert sum(widths) == pytest.approx(165)
    assert Mm(widths[0]) >= Pt(styled_width_pt(word, style)) + CELL_MARGINS - Mm(0.01)
    too_long = [[(word * 3, style)], [(word * 2, style)]]
    assert sum(fit_columns(too_long, 165)) == pytest.approx(165)


# --- an annex table of its own (annex.yaml `table:`) -----------------------------------------

# Two groups over five columns of figures, beside a column of words: three header rows.
OWN_TABLE = AnnexTable(
    header=(
        HeaderCell("Đơn vị", 0, 0, 1, 3),
        HeaderCell("Tiếp nhận", 0, 1, 3, 1),
        HeaderCell("Tổng số", 1, 1, 1, 2),
        HeaderCell("Trong đó", 1, 2, 2, 1),
        HeaderCell("Trực tuyến", 2, 2, 1, 1),
        HeaderCell("Trực tiếp", 2, 3, 1, 1),
        HeaderCell("Đã giải quyết", 0, 4, 2, 2),
        HeaderCell("Đúng hạn", 2, 4, 1, 1),
        HeaderCell("Quá hạn", 2, 5, 1, 1),
    ),
    header_rows=3,
    rows=(("UBND xã Tân Quang", "1.500", "1.245", "255", "1.498", "2"),),
    alignments=("left", "center", "center", "center", "center", "center"),
    numbered=True,
    unit_note="Đơn vị tính: hồ sơ.",
)


def grid(table: Table) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_an_own_table_merges_its_group_headers_over_their_columns(tmp_path: Path) -> None:
    report = dataclasses.replace(tan_quang_report(annex=False), annex_table=OWN_TABLE)
    doc = render(tmp_path, report)
    assert len(doc.sections) == 1  # portrait: on the report's own pages, after a page break
    title, subtitle, note = doc.paragraphs[-3:]
    assert title.paragraph_format.page_break_before is True
    assert subtitle.text == report.annex_subtitle
    assert note.text == "Đơn vị tính: hồ sơ." and note.alignment == WD_ALIGN_PARAGRAPH.RIGHT
    table = doc.tables[-1]
    assert set(borders(table).values()) == {"single"}
    assert grid(table) == [
        ["Đơn vị", "Tiếp nhận", "Tiếp nhận", "Tiếp nhận", "Đã giải quyết", "Đã giải quyết"],
        ["Đơn vị", "Tổng số", "Trong đó", "Trong đó", "Đã giải quyết", "Đã giải quyết"],
        ["Đơn vị", "Tổng số", "Trực tuyến", "Trực tiếp", "Đúng hạn", "Quá hạn"],
        ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
        ["UBND xã Tân Quang", "1.500", "1.245", "255", "1.498", "2"],
    ]
    # Merged cells, not repeated text: one <w:tc> spans the group's columns.
    assert [tc.grid_span for tc in table._tbl.tr_lst[0].tc_lst] == [1, 3, 2]
    header_rows = table._tbl.tr_lst[:4]
    assert all(tr.trPr.find(qn("w:tblHeader")) is not None for tr in header_rows)
    assert table._tbl.tr_lst[4].trPr.find(qn("w:tblHeader")) is None
    for cell in table.rows[0].cells:
        assert_paragraph(cell.paragraphs[0], 13, bold=True, italic=False)
    figures = table.rows[4].cells
    assert figures[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert figures[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    widths = annex_table_column_widths(OWN_TABLE, load_layout())
    assert sum(widths) == pytest.approx(165)
    for text, column in zip(OWN_TABLE.rows[0][1:], widths[1:], strict=True):
        assert one_line(text, Pt(styled_width_pt(text, load_layout().elements.annex_cell)), column)


def test_a_landscape_table_gets_a_sideways_page_of_its_own(tmp_path: Path) -> None:
    table = dataclasses.replace(OWN_TABLE, landscape=True)
    report = dataclasses.replace(tan_quang_report(annex=False), annex_table=table)
    doc = render(tmp_path, report)
    portrait, sideways = doc.sections
    assert portrait.orientation == WD_ORIENT.PORTRAIT
    assert near(portrait.page_width, Mm(210)) and near(portrait.page_height, Mm(297))
    assert sideways.orientation == WD_ORIENT.LANDSCAPE
    assert near(sideways.page_width, Mm(297)) and near(sideways.page_height, Mm(210))
    assert (sideways.left_margin, sideways.right_margin) == (
        portrait.left_margin,
        portrait.right_margin,
    )
    # The sideways page carries its number; only the report's first page has none.
    assert portrait.different_first_page_header_footer
    assert not sideways.different_first_page_header_footer
    assert not doc.paragraphs[-3].paragraph_format.page_break_before  # the section breaks
    widths = annex_table_column_widths(table, load_layout())
    assert sum(widths) == pytest.approx(297 - 30 - 15)
    assert grid(doc.tables[-1])[-1] == list(OWN_TABLE.rows[0])


def test_an_own_table_reads_in_the_chat_preview() -> None:
    report = dataclasses.replace(tan_quang_report(annex=False), annex_table=OWN_TABLE)
    text = preview_text(report)
    assert "Đơn vị: UBND xã Tân Quang" in text
    assert "Tiếp nhận: Tổng số 1.500; Trực tuyến 1.245; Trực tiếp 255" in text
    assert "Đã giải quyết: Đúng hạn 1.498; Quá hạn 2" in text
