"""The corpus: real reports' facts as answers files, and what a truthful draft of each must say.

Each case in tests/corpus/ is a pair: `<case>.json`, an answers file an officer could have
produced (read by `report_templates.draft.read_answers_file`; its `_source` key names the real
report it comes from and what is real or derived), and `<case>.yaml`, the expectations taken from
that source, not from what the template prints today:

    header, figures, documents, sections: strings the draft must contain, as reports print them
        (case-sensitive; a list inside the list means "any of these wordings")
    forbidden: claims the answers do not back; searched as whole words, in any case (a phrase
        in capitals, a heading, only in capitals), in the text the template wrote: the draft
        minus the officers' own narrative, the documents' issuers and titles, the names of the
        unit, office and signer, and the annex's column of form names (categories, not claims)
    signer: {name, authority}: the signature block, exactly
    annex: (optional) [{row, level}]: the annex row whose form contains `row` has that level

A failure here means the draft states something false or drops what the commune reported; the
template is to be fixed, not the expectation.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from definitions.forms import Form, QuestionType, load_form
from report_templates.compose import ReportInput, compose
from report_templates.document import ReportDocument
from report_templates.docx_writer import load_layout, write_docx
from report_templates.draft import read_answers_file
from report_templates.pdf import PdfConverter
from tests.report_templates.test_pdf import needs_office, page_of, pages
from wording.documents import DocumentRef

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CASES = sorted(path.stem for path in CORPUS.glob("*.json"))
EXPECTATION_KEYS = {"header", "figures", "documents", "sections", "forbidden", "signer", "annex"}
_BULLET_MARKS = "-–—•+* \t"
# Forbidden in every case: a zero or an unanswered value printed as a figure, and the two pieces
# of boilerplate real drafts were caught inventing (docs/research/cchc_reports.md, section 7).
GENERIC_FORBIDDEN = (
    "None",
    "00",
    "giao ban, học tập nghị quyết, họp thôn",
    "cơ bản không có tồn tại",
)


@dataclass(frozen=True)
class Rendered:
    """One case composed: the report, the document, and its text as the checks read it."""

    case: str
    report: ReportInput
    document: ReportDocument
    expect: dict[str, Any]
    pieces: tuple[str, ...]  # every printed line of the draft, whitespace collapsed
    template_pieces: tuple[str, ...]  # the same lines with the officers' own words blanked out

    @property
    def text(self) -> str:
        return "\n".join(self.pieces)


def _collapse(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _pieces(document: ReportDocument) -> Iterator[tuple[str, str]]:
    """Title, summary, body paragraphs, recipients, signature and annex rows: each printed line
    and the part of it that makes a claim. The annex's first column names kinds of publicity
    ("... (lưu động, cuộc thi, ...)"), a category rather than a claim: its result and level
    columns are what the template asserts."""
    lines = [
        *document.issuing_body,
        document.number_line,
        document.place_date_line,
        document.title,
        document.summary,
        *(paragraph.text for paragraph in document.body),
        "Nơi nhận:",
        *document.recipients,
        *document.authority,
        document.signer_name,
    ]
    if document.annex:
        lines += [document.annex_title, document.annex_subtitle]
    yield from ((line, line) for line in lines)
    for number, row in enumerate(document.annex, 1):
        yield f"{number}. {row.form} | {row.result} | {row.level}", f"{row.result} | {row.level}"


def _officer_words(report: ReportInput, form: Form) -> list[str]:
    """What the officers and the administrator typed rather than the template: narrative lines,
    documents' issuers and titles, names of the unit, the office and the signer."""
    words = [report.receiving_office, report.unit_name, report.signer_name, report.place]
    for code, value in report.answers.items():
        question = form.questions.get(code)
        if question is None or value is None:
            continue
        if question.type in (QuestionType.SHORT_TEXT, QuestionType.LONG_TEXT):
            for line in str(value).splitlines():
                words.append(line.strip(_BULLET_MARKS).rstrip(" .;:!?…"))
        elif question.type in (QuestionType.DOCUMENT_REFS, QuestionType.DOCUMENT_REF):
            for item in value if isinstance(value, list) else [value]:
                ref = item if isinstance(item, DocumentRef) else DocumentRef.from_json(item)
                words += [ref.issuer, ref.about]
    unique = {
        _collapse(word).casefold(): _collapse(word) for word in words if word and word.strip()
    }
    return sorted(unique.values(), key=len, reverse=True)


def _blank(piece: str, words: list[str]) -> str:
    """`piece` with every officer-typed fragment replaced by a mark (case-insensitively)."""
    text = _collapse(piece)
    for word in words:
        text = re.sub(re.escape(word), " ¶ ", text, flags=re.IGNORECASE)
    return text


def _render(case: str) -> Rendered:
    form = load_form()
    answers_file = CORPUS / f"{case}.json"
    report = read_answers_file(answers_file, form)
    document = compose(report, form=form)
    expect = yaml.safe_load((CORPUS / f"{case}.yaml").read_text(encoding="utf-8"))
    pairs = [(line, claim) for line, claim in _pieces(document) if line.strip()]
    words = _officer_words(report, form)
    return Rendered(
        case=case,
        report=report,
        document=document,
        expect=expect,
        pieces=tuple(_collapse(line) for line, _ in pairs),
        template_pieces=tuple(_blank(claim, words) for _, claim in pairs),
    )


@pytest.fixture(scope="module")
def rendered() -> Callable[[str], Rendered]:
    """Each case composed once for the whole module, on first use."""
    return cache(_render)


def _missing(text: str, wanted: list[Any]) -> list[str]:
    """The expected strings (or groups of alternatives) not found in `text`."""
    misses = []
    for item in wanted:
        options = item if isinstance(item, list) else [item]
        if not any(_collapse(str(option)) in text for option in options):
            misses.append(" | ".join(str(option) for option in options))
    return misses


def _whole_words(phrase: str) -> re.Pattern[str]:
    """`phrase` as whole words, in any case; a phrase in capitals is a heading ("KIẾN NGHỊ")
    and matches only in capitals, so "phản ánh, kiến nghị" in a sentence is not one."""
    text = _collapse(phrase)
    flags = 0 if text.isupper() else re.IGNORECASE
    return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", flags)


# ---------------------------------------------------------------------------------------------
# The corpus itself


def test_the_corpus_has_at_least_ten_cases_each_with_its_source_and_expectations() -> None:
    assert len(CASES) >= 10, CASES
    for case in CASES:
        raw = json.loads((CORPUS / f"{case}.json").read_text(encoding="utf-8"))
        source = raw.get("_source", {})
        assert source.get("from") and source.get("real") and source.get("derived"), case
        expectations = CORPUS / f"{case}.yaml"
        assert expectations.exists(), f"{case}: no expectations file"
        expect = yaml.safe_load(expectations.read_text(encoding="utf-8"))
        assert set(expect) <= EXPECTATION_KEYS, (
            f"{case}: unknown keys {set(expect) - EXPECTATION_KEYS}"
        )
        assert expect.get("figures") is not None and expect.get("forbidden"), case
        assert expect.get("signer", {}).get("name"), case
    assert sorted(p.stem for p in CORPUS.glob("*.yaml")) == CASES, "a .yaml without its .json"


# ---------------------------------------------------------------------------------------------
# The draft of each case against its expectations


@pytest.mark.parametrize("case", CASES)
def test_header(case: str, rendered: Callable[[str], Rendered]) -> None:
    r = rendered(case)
    assert not _missing(r.text, r.expect.get("header", [])), "\n" + r.text[:400]


@pytest.mark.parametrize("case", CASES)
def test_figures_are_printed_as_reports_print_them(
    case: str, rendered: Callable[[str], Rendered]
) -> None:
    r = rendered(case)
    misses = _missing(r.text, r.expect.get("figures") or [])
    assert not misses, f"missing figures {misses} in:\n{r.text}"


@pytest.mark.parametrize("case", CASES)
def test_every_cited_document_is_cited_with_its_kind(
    case: str, rendered: Callable[[str], Rendered]
) -> None:
    r = rendered(case)
    misses = _missing(r.text, r.expect.get("documents") or [])
    assert not misses, f"missing documents {misses} in:\n{r.text}"


@pytest.mark.parametrize("case", CASES)
def test_each_section_of_the_source_has_its_counterpart(
    case: str, rendered: Callable[[str], Rendered]
) -> None:
    r = rendered(case)
    misses = _missing(r.text, r.expect.get("sections") or [])
    assert not misses, f"missing sections {misses} in:\n{r.text}"


@pytest.mark.parametrize("case", CASES)
def test_the_template_claims_nothing_the_answers_do_not_back(
    case: str, rendered: Callable[[str], Rendered]
) -> None:
    r = rendered(case)
    offences = []
    for phrase in dict.fromkeys([*GENERIC_FORBIDDEN, *(r.expect.get("forbidden") or [])]):
        pattern = _whole_words(str(phrase))
        for original, blanked in zip(r.pieces, r.template_pieces, strict=True):
            if pattern.search(blanked):
                offences.append(f"{phrase!r} in: {original}")
    assert not offences, "\n".join(offences)


@pytest.mark.parametrize("case", CASES)
def test_the_signature_block(case: str, rendered: Callable[[str], Rendered]) -> None:
    r = rendered(case)
    signer = r.expect["signer"]
    assert r.document.signer_name == signer["name"]
    assert list(r.document.authority) == list(signer["authority"])


@pytest.mark.parametrize("case", CASES)
def test_the_annex_grades_each_form_as_the_answers_say(
    case: str, rendered: Callable[[str], Rendered]
) -> None:
    r = rendered(case)
    wanted = r.expect.get("annex")
    if wanted is None:
        assert not r.document.annex, "an annex nobody asked for"
        return
    assert r.document.annex, "the annex asked for (annex: true) is missing"
    wrong = []
    for item in wanted:
        rows = [row for row in r.document.annex if item["row"].casefold() in row.form.casefold()]
        if [row.level for row in rows] != [item["level"]]:
            found = [(row.form, row.result, row.level) for row in rows]
            wrong.append(f"row {item['row']!r}: want {item['level']}, found {found}")
    assert not wrong, "\n".join(wrong)


def test_the_answers_file_says_whether_the_annex_is_attached() -> None:
    """Seed 002 attaches the annex; its answers file says "annex": true, and `baocao draft`
    (which reads the file with read_answers_file) must attach it too."""
    cases = []
    for case in CASES:
        raw = json.loads((CORPUS / f"{case}.json").read_text(encoding="utf-8"))
        if "annex" in raw:
            cases.append(case)
            report = read_answers_file(CORPUS / f"{case}.json", load_form())
            assert report.with_annex is bool(raw["annex"]), f"{case}: the annex key is ignored"
    assert cases, "no case says whether its annex is attached"


# ---------------------------------------------------------------------------------------------
# The PDF: the signature block sits on one page


@pytest.fixture(scope="module")
def office() -> Iterator[PdfConverter]:
    converter = PdfConverter()
    yield converter
    converter.close()


@needs_office
@pytest.mark.xdist_group("libreoffice")  # with test_pdf: one warm office on one worker
@pytest.mark.parametrize("case", CASES)
def test_the_signature_block_sits_on_one_page(
    case: str,
    rendered: Callable[[str], Rendered],
    office: PdfConverter,
    tmp_path: Path,
) -> None:
    r = rendered(case)
    docx = write_docx(r.document, tmp_path / f"{case}.docx", layout=load_layout())
    pdf = office.convert(docx)
    assert pdf is not None and pdf.read_bytes().startswith(b"%PDF")
    texts = pages(pdf)
    block = [*r.document.authority, r.document.signer_name]
    where = {line: page_of(texts, "".join(line.split())) for line in block}
    assert len(set(where.values())) == 1, f"the signature block is split: {where}"
