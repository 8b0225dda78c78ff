"""Parsers for what officers type: accepted spellings, polite refusals, and no crashes."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import partial

import pytest
from hypothesis import given
from hypothesis import strategies as st

from definitions.parsing import (
    MAX_LONG_TEXT,
    MAX_NUMBER,
    MAX_SHORT_TEXT,
    DocumentRef,
    ParseError,
    clean_text,
    fold,
    parse_choice,
    parse_count,
    parse_date,
    parse_document_ref,
    parse_long_text,
    parse_minutes,
    parse_percent,
    parse_short_text,
    parse_yes_no,
)

CHOICES = [
    ("radio", "Đài truyền thanh"),
    ("website", "Trang thông tin điện tử"),
    ("poster", "Pa-nô, áp phích"),
]
parse_media = partial(parse_choice, choices=CHOICES)

PARSERS: dict[str, Callable[[str], object]] = {
    "count": parse_count,
    "minutes": parse_minutes,
    "percent": parse_percent,
    "yes_no": parse_yes_no,
    "date": parse_date,
    "short_text": parse_short_text,
    "long_text": parse_long_text,
    "choice": parse_media,
    "document_ref": parse_document_ref,
}


def assert_refused(parser: Callable[[str], object], text: str, mentions: str | None = None) -> str:
    """The parser refuses with a Vietnamese message (mentioning `mentions`); return it."""
    with pytest.raises(ParseError) as caught:
        parser(text)
    message = caught.value.message
    assert message
    assert str(caught.value) == message
    # Vietnamese carries diacritics; fold() removing some shows the message is not English.
    assert fold(message) != " ".join(message.lower().split())
    if mentions is not None:
        assert mentions in message
    return message


def only_parse_error(parser: Callable[[str], object], text: str) -> object:
    """Call the parser; a ParseError with a message is fine, any other exception fails."""
    try:
        return parser(text)
    except ParseError as error:
        assert error.message
        return None


# --- clean_text and fold ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("  xin chào  ", "xin chào"),
        ("Hu\u031bng Yên", "Hưng Yên"),  # decomposed input is composed (NFC)
        ("a\x00b\x07c", "abc"),
        ("a\tb", "a b"),
        ("dòng 1   \ndòng 2\t", "dòng 1\ndòng 2"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("a\n  \n \n\nb", "a\n\nb"),
        ("\n\n  a\n\n", "a"),
        ("a\u200bb", "ab"),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, cleaned: str) -> None:
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Đài truyền thanh", "dai truyen thanh"),
        ("  KHÔNG   có ", "khong co"),
        ("Ủy ban nhân dân", "uy ban nhan dan"),
        ("rưỡi", "ruoi"),
        ("", ""),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded


# --- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6", 6),
        ("06", 6),
        (" 6 ", 6),
        ("6 chuyên mục", 6),
        ("6 tin bài", 6),
        ("6.", 6),
        ("1.500", 1500),
        ("1 500", 1500),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("０６", 6),  # fullwidth digits
        ("không", 0),
        ("Không", 0),
        ("ko", 0),
        ("k", 0),
        ("không có", 0),
        ("Không có ạ", 0),
        ("0", 0),
        ("chưa có", 0),
        ("1.000.000.000", MAX_NUMBER),
    ],
)
def test_count_accepts(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("-5", "âm"),
        ("âm 5", "âm"),
        ("Âm5", "âm"),
        ("1,5", "số nguyên"),
        ("2.5", "số nguyên"),
        ("2.50", "số nguyên"),
        ("sáu", "chữ số"),
        ("mười", "chữ số"),
        ("six", "chữ số"),
        ("5 nghìn", "chữ số"),
        ("6 chuyên mục, 3 tin", "một số"),
        ("99999999999999999999", "quá lớn"),
        ("1000000001", "quá lớn"),
        ("1.000.000.001", "quá lớn"),
        ("", None),
        ("   ", None),
        ("👍", None),
        ("x" * 10_000, None),
        ("1.2.3", None),
    ],
)
def test_count_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_count, text, mentions)


def test_count_hint_says_what_to_type() -> None:
    assert assert_refused(parse_count, "").startswith("Anh/chị")


# --- minutes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60", 60),
        ("60 phút", 60),
        ("60p", 60),
        ("90p", 90),
        ("90'", 90),
        ("90 Phút.", 90),
        ("1 giờ 30", 90),
        ("1 giờ 30 phút", 90),
        ("1h30", 90),
        ("1h 30p", 90),
        ("1 tiếng", 60),
        ("1 tiếng rưỡi", 90),
        ("1 giờ rưỡi", 90),
        ("2 giờ", 120),
        ("1,5 giờ", 90),
        ("1.5h", 90),
        ("không", 0),
        ("ko", 0),
        ("0", 0),
    ],
)
def test_minutes_accepts(text: str, expected: int) -> None:
    assert parse_minutes(text) == expected


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("1 giờ abc", "chữ số"),
        ("abc", "chữ số"),
        ("một giờ", "chữ số"),
        ("-5", "âm"),
        ("âm 30 phút", "âm"),
        ("1 giờ 75", "60"),
        ("1,5 phút", "số nguyên"),
        ("60 90", None),
        ("99999999999999999999", "quá lớn"),
        ("20000000 giờ", "quá lớn"),
        ("", None),
        ("👍", None),
        ("x" * 10_000, None),
    ],
)
def test_minutes_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_minutes, text, mentions)


# --- percent ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("100%", 100),
        ("100", 100),
        ("100 %", 100),
        ("100 phần trăm", 100),
        ("99,5%", 99.5),
        ("99.5", 99.5),
        ("33,33", 33.3),
        ("0,05", 0.1),
        ("99,96", 100),
        ("không", 0),
        ("0", 0),
    ],
)
def test_percent_accepts(text: str, expected: float) -> None:
    result = parse_percent(text)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("101", "100"),
        ("100,5%", "100"),
        ("-5%", "âm"),
        ("abc", "chữ số"),
        ("50% và 60%", "một số"),
        ("99999999999999999999%", "quá lớn"),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_percent_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_percent, text, mentions)


# --- yes / no --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["có", "co", "c", "có ạ", "Có", "CÓ.", "yes", "ok", "OK ạ", "đúng", "rồi", "dạ có"]
)
def test_yes(text: str) -> None:
    assert parse_yes_no(text) is True


@pytest.mark.parametrize(
    "text",
    ["không", "khong", "ko", "k", "chưa", "chưa có", "no", "không có", "Không ạ", "dạ không"],
)
def test_no(text: str) -> None:
    assert parse_yes_no(text) is False


@pytest.mark.parametrize("text", ["", "👍", "có lẽ", "maybe", "6", "x" * 10_000])
def test_yes_no_refuses(text: str) -> None:
    message = assert_refused(parse_yes_no, text)
    assert "có" in message and "không" in message


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "08/01/2024",
        "8/1/2024",
        "08-01-2024",
        "08.01.2024",
        "ngày 08/01/2024",
        "Ngày 8 tháng 1 năm 2024",
        "ngày 8 tháng 1 năm 2024",
        " 08 / 01 / 2024 ",
    ],
)
def test_date_accepts(text: str) -> None:
    assert parse_date(text) == date(2024, 1, 8)


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("31/02/2024", "dd/mm/yyyy"),
        ("29/02/2023", "không có trên lịch"),
        ("08/13/2024", "dd/mm/yyyy"),
        ("2024-01-08", "dd/mm/yyyy"),
        ("08/01/24", "dd/mm/yyyy"),
        ("01/01/1989", "1990"),
        ("01/01/2101", "2100"),
        ("hôm nay", "dd/mm/yyyy"),
        ("08/01/2024 và 09/01/2024", "dd/mm/yyyy"),
        ("", None),
        ("x" * 10_000, None),
    ],
)
def test_date_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_date, text, mentions)


def test_date_accepts_leap_day() -> None:
    assert parse_date("29/02/2024") == date(2024, 2, 29)


# --- document references ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number", "symbol", "year", "issued_on"),
    [
        ("03/KH-UBND ngày 08/01/2024", "03", "KH-UBND", None, date(2024, 1, 8)),
        ("Kế hoạch số 03/KH-UBND ngày 08/01/2024", "03", "KH-UBND", None, date(2024, 1, 8)),
        (
            "số 181/KH-UBND ngày 29/12/2024 của UBND huyện Văn Lâm",
            "181",
            "KH-UBND",
            None,
            date(2024, 12, 29),
        ),
        ("3/KH-UBND ngày 8/1/2024", "03", "KH-UBND", None, date(2024, 1, 8)),
        ("22/2020/QĐ-UBND ngày 12/8/2020", "22", "QĐ-UBND", 2020, date(2020, 8, 12)),
        ("03/kh-ubnd ngày 08/01/2024", "03", "KH-UBND", None, date(2024, 1, 8)),
        ("22/2020/qđ-ubnd ngày 12/8/2020", "22", "QĐ-UBND", 2020, date(2020, 8, 12)),
        ("22/2020/QD-UBND ngày 12/8/2020", "22", "QD-UBND", 2020, date(2020, 8, 12)),
        ("03/KH-UBND ngày 8 tháng 1 năm 2024", "03", "KH-UBND", None, date(2024, 1, 8)),
        ("ngày 08/01/2024, số 03/KH-UBND", "03", "KH-UBND", None, date(2024, 1, 8)),
    ],
)
def test_document_ref_accepts(
    text: str, number: str, symbol: str, year: int | None, issued_on: date
) -> None:
    assert parse_document_ref(text) == DocumentRef(number, symbol, year, issued_on)


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("03/KH-UBND", "ngày ban hành"),
        ("Kế hoạch số 03/KH-UBND của UBND huyện", "ngày ban hành"),
        ("03/KH-UBND ngày 08/01/24", "dd/mm/yyyy"),
        ("03/KH-UBND ngày 31/02/2024", "dd/mm/yyyy"),
        ("KH-UBND ngày 08/01/2024", "03/KH-UBND"),
        ("00/KH-UBND ngày 08/01/2024", "03/KH-UBND"),
        ("22/1800/QĐ-UBND ngày 12/8/2020", "1990"),
        ("", None),
        ("👍", None),
        ("x" * 10_000, None),
    ],
)
def test_document_ref_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_document_ref, text, mentions)


@pytest.mark.parametrize(
    ("ref", "code", "text"),
    [
        (
            DocumentRef("03", "KH-UBND", None, date(2024, 1, 8)),
            "03/KH-UBND",
            "03/KH-UBND ngày 08/01/2024",
        ),
        (
            DocumentRef("22", "QĐ-UBND", 2020, date(2020, 8, 12)),
            "22/2020/QĐ-UBND",
            "22/2020/QĐ-UBND ngày 12/08/2020",
        ),
    ],
)
def test_document_ref_round_trips(ref: DocumentRef, code: str, text: str) -> None:
    assert ref.code() == code
    assert ref.text() == text
    assert DocumentRef.from_json(ref.to_json()) == ref
    assert parse_document_ref(ref.text()) == ref


def test_document_ref_json_is_plain_data() -> None:
    ref = DocumentRef("22", "QĐ-UBND", 2020, date(2020, 8, 12))
    assert ref.to_json() == {
        "number": "22",
        "symbol": "QĐ-UBND",
        "year": 2020,
        "issued_on": "2020-08-12",
    }


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"number": 3, "symbol": "KH-UBND", "year": None, "issued_on": "2024-01-08"},
        {"number": "03", "symbol": "KH-UBND", "year": "2020", "issued_on": "2024-01-08"},
        {"number": "03", "symbol": "KH-UBND", "year": True, "issued_on": "2024-01-08"},
        {"number": "03", "symbol": "KH-UBND", "year": None, "issued_on": "08/01/2024"},
    ],
)
def test_document_ref_from_json_rejects_bad_data(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        DocumentRef.from_json(data)


# --- free text -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuyên truyền  cải cách", "Tuyên truyền  cải cách"),
        ("  dòng một\ndòng hai  ", "dòng một dòng hai"),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("{% for %}", "{% for %}"),
        ("<w:p>", "<w:p>"),
        ("Đã xong 👍", "Đã xong 👍"),
        ("a" * MAX_SHORT_TEXT, "a" * MAX_SHORT_TEXT),
    ],
)
def test_short_text_accepts(text: str, expected: str) -> None:
    assert parse_short_text(text) == expected


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("", None),
        ("   \n ", None),
        ("👍", "biểu tượng"),
        ("!!! ...", None),
        ("a" * (MAX_SHORT_TEXT + 1), str(MAX_SHORT_TEXT)),
        ("x" * 10_000, str(MAX_SHORT_TEXT)),
    ],
)
def test_short_text_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_short_text, text, mentions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dòng một  \n\n\n\nDòng hai\t", "Dòng một\n\nDòng hai"),
        ("{{ 7*7 }}\n{% for x in y %}\n<w:p>", "{{ 7*7 }}\n{% for x in y %}\n<w:p>"),
        ("a" * MAX_LONG_TEXT, "a" * MAX_LONG_TEXT),
    ],
)
def test_long_text_accepts(text: str, expected: str) -> None:
    assert parse_long_text(text) == expected


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("", None),
        ("👍👍", None),
        ("a" * (MAX_LONG_TEXT + 1), str(MAX_LONG_TEXT)),
        ("x" * 10_000, str(MAX_LONG_TEXT)),
    ],
)
def test_long_text_refuses(text: str, mentions: str | None) -> None:
    assert_refused(parse_long_text, text, mentions)


# --- choices ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "radio"),
        ("2", "website"),
        ("3.", "poster"),
        ("radio", "radio"),
        ("Đài truyền thanh", "radio"),
        ("dai truyen thanh", "radio"),
        ("ĐÀI TRUYỀN THANH", "radio"),
        ("trang", "website"),
        ("Pa-nô", "poster"),
        ("dai", "radio"),
    ],
)
def test_choice_accepts(text: str, expected: str) -> None:
    assert parse_media(text) == expected


@pytest.mark.parametrize("text", ["0", "4", "99999", "tr", "xyz", "", "👍", "x" * 10_000])
def test_choice_refuses(text: str) -> None:
    message = assert_refused(parse_media, text)
    if len(text) <= 4096:
        assert "Đài truyền thanh" in message


def test_choice_refuses_an_ambiguous_prefix() -> None:
    choices = [("a", "Trang A"), ("b", "Trang B")]
    assert_refused(partial(parse_choice, choices=choices), "trang")
    assert parse_choice("trang b", choices) == "b"


# --- robustness ------------------------------------------------------------------------------

PATHOLOGICAL = [
    "1" * 4096,
    "1." * 2048,
    "1," * 2048,
    "1 " * 2048,
    "1/" * 2048,
    "1/a-" * 1024,
    "1h" * 2048,
    "-" * 4096,
    "9" * 4000 + "x",
    "ngày " * 800,
    "1 giờ " * 680,
    "x" * 10_000,
    "１" * 4096,
    "ﷺ" * 4096,  # expands eighteen-fold under NFKC
]


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_large_inputs_are_refused_quickly(name: str) -> None:
    """Refused in linear time: a regular expression that backtracks on these inputs takes
    minutes, so the bound is loose enough for a machine running the suite's other worker and
    still fails on a blow-up. CPU time, so waiting for the other worker does not count."""
    parser = PARSERS[name]
    started = time.process_time()
    for text in PATHOLOGICAL:
        only_parse_error(parser, text)
    assert time.process_time() - started < 5


TOKENS = [
    "0",
    "1",
    "6",
    "06",
    "12",
    "500",
    "2024",
    "99999999999999",
    ".",
    ",",
    " ",
    "/",
    "-",
    "−",
    "%",
    "'",
    "h",
    "p",
    "k",
    "giờ",
    "phút",
    "tiếng",
    "rưỡi",
    "không",
    "có",
    "ạ",
    "âm",
    "ngày",
    "tháng",
    "năm",
    "số",
    "KH-UBND",
    "QĐ",
    "nghìn",
    "👍",
    "\n",
    "\t",
    "１",
    "\u200b",
]
typed_text = st.lists(st.sampled_from(TOKENS), max_size=25).map("".join)


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(text=st.text())
def test_any_text_raises_only_parse_error(name: str, text: str) -> None:
    only_parse_error(PARSERS[name], text)


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(text=typed_text)
def test_typed_looking_text_raises_only_parse_error(name: str, text: str) -> None:
    only_parse_error(PARSERS[name], text)


@given(text=st.one_of(st.text(), typed_text))
def test_results_stay_in_range(text: str) -> None:
    count = only_parse_error(parse_count, text)
    assert count is None or (isinstance(count, int) and 0 <= count <= MAX_NUMBER)
    minutes = only_parse_error(parse_minutes, text)
    assert minutes is None or (isinstance(minutes, int) and 0 <= minutes <= MAX_NUMBER)
    percent = only_parse_error(parse_percent, text)
    assert percent is None or (isinstance(percent, int | float) and 0 <= percent <= 100)
    short = only_parse_error(parse_short_text, text)
    assert short is None or (isinstance(short, str) and 0 < len(short) <= MAX_SHORT_TEXT)
    assert short is None or "\n" not in short


@given(text=st.text())
def test_clean_text_and_fold_are_idempotent(text: str) -> None:
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    folded = fold(text)
    assert fold(folded) == folded


@given(n=st.integers(min_value=0, max_value=MAX_NUMBER))
def test_count_reads_plain_numbers(n: int) -> None:
    assert parse_count(str(n)) == n


@given(n=st.integers(min_value=0, max_value=MAX_NUMBER))
def test_count_reads_thousand_separators(n: int) -> None:
    assert parse_count(f"{n:,}".replace(",", ".")) == n
    assert parse_count(f"{n:,}".replace(",", " ")) == n


@given(hours=st.integers(min_value=0, max_value=1000), minutes=st.integers(0, 59))
def test_minutes_reads_hours_and_minutes(hours: int, minutes: int) -> None:
    assert parse_minutes(f"{hours} giờ {minutes} phút") == hours * 60 + minutes
    assert parse_minutes(f"{hours}h{minutes}") == hours * 60 + minutes


@given(tenths=st.integers(min_value=0, max_value=1000))
def test_percent_reads_one_decimal(tenths: int) -> None:
    expected = tenths // 10 if tenths % 10 == 0 else tenths / 10
    assert parse_percent(f"{tenths // 10},{tenths % 10}%") == expected


@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_date_reads_what_strftime_writes(day: date) -> None:
    assert parse_date(day.strftime("%d/%m/%Y")) == day
    assert parse_date(f"ngày {day.day} tháng {day.month} năm {day.year}") == day


@given(
    ref=st.builds(
        DocumentRef,
        number=st.integers(1, 9999).map(lambda n: f"{n:02d}"),
        symbol=st.sampled_from(["KH-UBND", "QĐ-UBND", "BC-VP", "CV"]),
        year=st.one_of(st.none(), st.integers(1990, 2100)),
        issued_on=st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
    )
)
def test_document_ref_text_parses_back(ref: DocumentRef) -> None:
    assert parse_document_ref(ref.text()) == ref
    assert DocumentRef.from_json(ref.to_json()) == ref


# --- words and digits that change a value: read right or refused, never dropped ------------

# Digits that NFKC leaves alone (other scripts) or turns into a different number (superscripts,
# circled digits): a figure containing one is refused. Fullwidth and mathematical digits are the
# same digits to NFKC, and read.
OTHER_DIGITS = [
    ch
    for ch in map(chr, range(0x80, 0x20000))
    if unicodedata.category(ch).startswith("N")
    and not (unicodedata.category(ch) == "Nd" and unicodedata.normalize("NFKC", ch) in "0123456789")
]
MULTIPLIERS = ["chục", "chuc", "trăm", "tram", "nghìn", "nghin", "ngàn", "ngan", "k", "tr",
               "triệu", "trieu", "tỷ", "ty", "tỉ", "vạn", "mươi", "muoi"]  # fmt: skip
APPROXIMATE = ["khoảng {}", "khoang {}", "tầm {}", "gần {}", "hơn {}", "trên {}", "tren {}",
               "dưới {}", "~{}", ">{}", "{}+", "{} trở lên", "ít nhất {}", "xấp xỉ {}"]  # fmt: skip
DASHES = ["-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212", "\uff0d"]
BLANK_LOOKING = ["\u3164", "\u115f", "\u1160", "\uffa0", "\u061c", "\u200b", "\u2060",
                 "\ufeff", "\u00ad", "\u180e", "\u202e", " ", "\u00a0", "\u3000"]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("2 chục", "chữ số"),
        ("5 k", "chữ số"),
        ("5k", "chữ số"),
        ("5 ngàn", "chữ số"),
        ("5 ngan", "chữ số"),
        ("1 tr", "chữ số"),
        ("1 tỷ", "chữ số"),
        ("trừ 5", "âm"),
        ("➖5", "âm"),
        ("﹣5", "âm"),
        ("1٢", "0–9"),
        ("12০", "0–9"),
        ("1²", "0–9"),
        ("10³", "0–9"),
        ("①②", "0–9"),
        ("½", "0–9"),
        ("1,000", "1000"),
        ("2 tiếng rưỡi", "thời lượng"),
        ("2 giờ", "thời lượng"),
        ("2h", "thời lượng"),
        ("khoảng 900", "cụ thể"),
        ("trên 1500", "cụ thể"),
        ("1500+", "cụ thể"),
        ("20 trở lên", "cụ thể"),
    ],
)
def test_count_refuses_words_that_change_the_value(text: str, mentions: str) -> None:
    assert_refused(parse_count, text, mentions)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 lần", 2),
        ("6 chuyên mục", 6),
        ("3 văn bản", 3),
        ("１２", 12),
        ("𝟏𝟐", 12),
        ("1 000", 1000),
    ],
)
def test_count_keeps_reading_what_it_read(text: str, expected: int) -> None:
    assert parse_count(text) == expected


def test_thousands_separators_follow_one_rule_for_counts_and_minutes() -> None:
    """A dot or a space groups thousands; one comma before three digits is ambiguous for both."""
    for typed in ("1.000", "1 000"):
        assert parse_count(typed) == 1000
        assert parse_minutes(f"{typed} phút") == 1000
    assert_refused(parse_count, "1,000", "1000")
    assert_refused(parse_minutes, "1,000 phút", "1000")
    assert_refused(parse_percent, "1,000%", "1000")
    assert parse_count("1,000,000") == parse_minutes("1,000,000") == 1_000_000  # unambiguous


def test_minutes_refuse_an_estimate_clearly() -> None:
    assert_refused(parse_minutes, "khoảng 900 phút", "cụ thể")


@given(
    n=st.integers(min_value=0, max_value=10**6),
    digit=st.sampled_from(OTHER_DIGITS),
    at=st.integers(min_value=0, max_value=7),
    parser=st.sampled_from([parse_count, parse_minutes, parse_percent]),
)
def test_a_digit_of_another_script_is_refused_never_dropped(
    n: int, digit: str, at: int, parser: Callable[[str], object]
) -> None:
    typed = str(n)
    typed = typed[: at % (len(typed) + 1)] + digit + typed[at % (len(typed) + 1) :]
    assert_refused(parser, typed)


@given(
    n=st.integers(min_value=1, max_value=10**5),
    word=st.sampled_from(MULTIPLIERS),
    space=st.sampled_from(["", " "]),
    tail=st.sampled_from(["", " lượt", " người", "."]),
)
def test_a_multiplier_is_refused_never_dropped(n: int, word: str, space: str, tail: str) -> None:
    typed = f"{n}{space}{word}{tail}"
    if space == "" and word not in ("k", "tr"):
        typed = f"{n} {word}{tail}"  # "5trăm" is not how anyone writes it
    assert_refused(parse_count, typed, "chữ số")


@given(n=st.integers(min_value=1, max_value=10**5), form=st.sampled_from(APPROXIMATE))
def test_an_estimate_is_refused_never_read_as_the_figure(n: int, form: str) -> None:
    assert_refused(parse_count, form.format(n), "cụ thể")
    assert_refused(parse_minutes, form.format(f"{n} phút"), "cụ thể")


# --- document numbers: every dash, never a symbol cut short ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "03/KH–UBND ngày 08/01/2026",
        "03/KH—UBND ngày 08/01/2026",
        "03/KH - UBND ngày 08/01/2026",
        "03/KH UBND ngày 08/01/2026",
        "03 / KH-UBND ngày 08/01/2026",
        "ngày 08/01/2026, số 03/KH-UBND",
    ],
)
def test_document_symbols_are_read_whole(text: str) -> None:
    assert parse_document_ref(text).text() == "03/KH-UBND ngày 08/01/2026"


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("-3/KH-UBND ngày 08/01/2026", "«-3»"),
        ("03/KH.UBND ngày 08/01/2026", "«03/KH.UBND»"),
        ("03/KH/UBND ngày 08/01/2026", "«03/KH/UBND»"),
    ],
)
def test_document_numbers_that_cannot_be_read_whole_are_refused(text: str, mentions: str) -> None:
    assert_refused(parse_document_ref, text, mentions)


@given(
    number=st.integers(1, 999),
    parts=st.lists(
        st.sampled_from(["KH", "UBND", "QĐ", "BC", "VP", "BCĐ", "HĐND"]), min_size=1, max_size=3
    ),
    dash=st.sampled_from(DASHES),
    spaces=st.sampled_from([("", ""), (" ", " "), ("", " "), (" ", "")]),
)
def test_any_dash_between_symbol_parts_reads_as_a_hyphen(
    number: int, parts: list[str], dash: str, spaces: tuple[str, str]
) -> None:
    before, after = spaces
    symbol = f"{before}{dash}{after}".join(parts)
    ref = parse_document_ref(f"{number}/{symbol} ngày 08/01/2026")
    assert ref.symbol == "-".join(parts)


# --- blank-looking answers and natural yes/no -------------------------------------------------


@pytest.mark.parametrize("parser", [parse_short_text, parse_long_text])
@given(text=st.lists(st.sampled_from(BLANK_LOOKING), min_size=1, max_size=12).map("".join))
def test_text_that_prints_as_nothing_is_refused(parser: Callable[[str], str], text: str) -> None:
    assert_refused(parser, text)


@given(
    filler=st.lists(st.sampled_from(BLANK_LOOKING[:-3]), min_size=1, max_size=4).map("".join),
)
def test_fillers_inside_an_answer_are_dropped(filler: str) -> None:
    assert parse_short_text(f"Loa{filler} phát thanh") == "Loa phát thanh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đã cập nhật", True),
        ("có cập nhật", True),
        ("Có, đã cập nhật đầy đủ", True),
        ("Dạ, có ạ", True),
        ("chưa cập nhật", False),
        ("không cập nhật", False),
        ("Dạ, chưa", False),
        ("dạ chưa ạ", False),
    ],
)
def test_natural_yes_no_answers(text: str, expected: bool) -> None:
    assert parse_yes_no(text) is expected


@pytest.mark.parametrize("text", ["có lẽ", "có thể", "không rõ", "chưa biết", "không nhớ"])
def test_hedges_are_neither_yes_nor_no(text: str) -> None:
    assert_refused(parse_yes_no, text)
