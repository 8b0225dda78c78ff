"""Reading what officers type: figures, durations, dates, yes/no, choices and document numbers.

Every parser takes the raw message text and either returns a clean value or raises ParseError
whose message tells the officer, in Vietnamese, what to type instead. Pure functions only.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from wording.documents import DocumentRef
from wording.folding import fold


class ParseError(ValueError):
    """Input that cannot be read as the expected type; `message` is Vietnamese for the officer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


MAX_NUMBER = 1_000_000_000  # beyond this no figure is plausible; refuse before anything else
MAX_SHORT_TEXT = 300
MAX_LONG_TEXT = 3000

# Telegram caps a message at 4096 characters, so anything longer was not typed as an answer;
# refusing it before any other work keeps every parser fast whatever it is given.
_MAX_INPUT = 4096
_MAX_DIGITS = 12
_MIN_YEAR = 1990
_MAX_YEAR = 2100
_MAX_SYMBOL = 40

_MAX_NUMBER_TEXT = f"{MAX_NUMBER:,}".replace(",", ".")
_EXAMPLE_DATE = "ví dụ 08/01/2024"

_TOO_LONG = "Tin nhắn quá dài. "
_COUNT_HINT = "Anh/chị vui lòng nhập một số, ví dụ 6 (nhập 0 nếu không có)."
_COUNT_DIGITS = "Anh/chị vui lòng nhập bằng chữ số, ví dụ 6 (nhập 0 nếu không có)."
_MINUTES_HINT = (
    "Anh/chị vui lòng nhập thời lượng bằng chữ số, ví dụ 60, 90 phút hoặc 1 giờ 30 "
    "(nhập 0 nếu không có)."
)
_PERCENT_HINT = (
    "Anh/chị vui lòng nhập tỷ lệ phần trăm bằng chữ số, từ 0 đến 100, ví dụ 100 hoặc 99,5."
)
_NEGATIVE = "Số liệu không được là số âm. Anh/chị vui lòng nhập số từ 0 trở lên, ví dụ 6."
_TOO_BIG = (
    f"Số quá lớn (tối đa {_MAX_NUMBER_TEXT}). Anh/chị vui lòng kiểm tra lại và nhập bằng "
    "chữ số, ví dụ 6."
)
_WHOLE = (
    "Số liệu này phải là số nguyên. Anh/chị vui lòng nhập số không có phần thập phân, "
    "ví dụ 6 hoặc 1.500."
)
_ONE_NUMBER = "Anh/chị vui lòng chỉ nhập một số cho mục này, ví dụ 6."
_MULTIPLIER = "Anh/chị vui lòng nhập toàn bộ số bằng chữ số, ví dụ 5000 thay cho 5 nghìn."
_APPROXIMATE = (
    "Báo cáo cần một con số cụ thể. Anh/chị vui lòng chỉ nhập số (không kèm «khoảng», «trên», "
    "«hơn»...), ví dụ 900."
)
_NOT_A_DURATION = (
    "Mục này cần một số đếm, không phải thời lượng. Anh/chị vui lòng nhập một số, ví dụ 2."
)
_PLAIN_DIGITS = (
    "Anh/chị vui lòng nhập số bằng các chữ số thông thường 0–9, ví dụ 12 (không dùng số mũ, "
    "số trong vòng tròn hay chữ số của ngôn ngữ khác)."
)
_COMMA_GROUP = (
    "Chưa rõ «{typed}» là {digits} hay một số thập phân. Nếu là {digits}, anh/chị vui lòng nhập "
    "{digits} hoặc {dotted}."
)
_PERCENT_RANGE = (
    "Tỷ lệ phần trăm không được lớn hơn 100. Anh/chị vui lòng nhập số từ 0 đến 100, "
    "ví dụ 100 hoặc 99,5."
)
_MINUTES_PART = (
    "Số phút sau số giờ phải nhỏ hơn 60. Anh/chị vui lòng nhập ví dụ 1 giờ 30 hoặc 90 phút."
)
_WHOLE_MINUTES = "Số phút phải là số nguyên. Anh/chị vui lòng nhập ví dụ 90 phút hoặc 1,5 giờ."
_YES_NO_HINT = "Anh/chị vui lòng trả lời “có” hoặc “không”."
_DATE_HINT = f"Anh/chị vui lòng nhập ngày theo dạng dd/mm/yyyy, {_EXAMPLE_DATE}."
_DATE_YEAR_DIGITS = f"Anh/chị vui lòng ghi năm đủ 4 chữ số, theo dạng dd/mm/yyyy, {_EXAMPLE_DATE}."
_DATE_YEAR_RANGE = (
    f"Năm phải từ {_MIN_YEAR} đến {_MAX_YEAR}. Anh/chị vui lòng nhập ngày theo dạng "
    f"dd/mm/yyyy, {_EXAMPLE_DATE}."
)
_TEXT_EMPTY = (
    "Anh/chị vui lòng nhập nội dung bằng chữ (không gửi tin nhắn trống hoặc chỉ có biểu tượng "
    "cảm xúc)."
)
_DOC_HINT = (
    "Anh/chị vui lòng nhập số, ký hiệu và ngày ban hành của văn bản, "
    "ví dụ 03/KH-UBND ngày 08/01/2024."
)
_DOCS_HINT = (
    "Anh/chị vui lòng nhập mỗi văn bản một dòng: số, ký hiệu, ngày, rồi cơ quan ban hành và "
    "trích yếu nếu có, ví dụ:\n"
    "181/KH-UBND ngày 29/12/2023 của UBND huyện Văn Lâm về tuyên truyền cải cách hành chính"
)
_DOC_DATE = (
    "Anh/chị vui lòng nhập cả ngày ban hành của văn bản theo dạng dd/mm/yyyy, "
    "ví dụ 03/KH-UBND ngày 08/01/2024."
)
_DOC_YEAR = (
    f"Năm trong số văn bản phải từ {_MIN_YEAR} đến {_MAX_YEAR}. Anh/chị vui lòng kiểm tra lại, "
    "ví dụ 22/2020/QĐ-UBND ngày 12/08/2020."
)

# Invisible formatting that phones and copy-paste smuggle in (every format character: soft
# hyphen, zero-width space, bidi marks and overrides, the Arabic letter mark...); it would stop
# words from matching and can reorder how a report displays. ZWJ/ZWNJ stay because emoji
# sequences need them. The Hangul fillers are letters to Unicode but print as nothing, and are
# the usual way to send a "blank" message that passes a letter check.
_KEPT_FORMAT = frozenset("\u200c\u200d")
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")
_MANY_NEWLINES = re.compile(r"\n{3,}")
_TRAILING_PUNCTUATION = ".!?,;:~"
_PARTICLES = frozenset({"a", "ah", "ak", "nhe", "nha", "nhen", "nhi"})
_MINUS_SIGNS = ("-", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2212")

# Compared after fold() and after trailing particles such as "ạ" are dropped.
_ZERO_WORDS = frozenset(
    {
        "khong",
        "ko",
        "k",
        "kh",
        "khg",
        "kg",
        "hong",
        "hok",
        "khong co",
        "ko co",
        "k co",
        "kh co",
        "khg co",
        "chua",
        "chua co",
        "khong co gi",
        "chua co gi",
    }
)
_YES_WORDS = frozenset(
    {
        "co",
        "c",
        "co roi",
        "co chu",
        "da",
        "vang",
        "u",
        "uh",
        "um",
        "yes",
        "y",
        "ok",
        "oke",
        "okay",
        "okie",
        "dung",
        "dung roi",
        "roi",
        "dong y",
    }
)
_NO_WORDS = _ZERO_WORDS | {"no", "n", "khong dung", "khong phai", "sai"}
# "Dạ"/"vâng" only soften the answer that follows them ("dạ không" is a no).
_LEADING_SOFTENERS = frozenset({"da", "vang", "thua"})
# "Có lẽ" (perhaps), "không rõ" (not sure)...: neither yes nor no.
_HEDGES = frozenset(
    {
        "co le",
        "co the",
        "co khi",
        "co ve",
        "co dieu",
        "khong biet",
        "khong ro",
        "khong nho",
        "khong chac",
        "chua biet",
        "chua ro",
        "chua chac",
        "chua nho",
        "ko biet",
        "ko ro",
    }
)
_ANSWER_STARTS = frozenset({"co", "khong", "ko", "k", "chua", "vang", "da", "roi", "dung", "ok"})

# Words that change a typed figure's value must never be dropped: "2 chục" is 20, not 2. They are
# refused with a message rather than multiplied out, since "5 ngan" may as well be a typo.
# Anywhere in the answer, by their accented spelling (number words and multipliers):
_MULTIPLIERS_ACCENTED = frozenset(
    {"chục", "trăm", "nghìn", "ngàn", "triệu", "tỷ", "tỉ", "vạn", "mươi", "mười", "mốt", "lăm"}
)
_MULTIPLIERS_FOLDED = frozenset({"nghin", "trieu"})
# Right after the number, also unaccented or abbreviated ("5 ngan", "5k", "1 tr"); only there,
# since "trạm", "tý" or "k" (không) are ordinary words elsewhere. "Vạn" only accented: "văn".
_MULTIPLIERS_AFTER = frozenset({"chuc", "tram", "ngan", "ty", "ti", "k", "tr", "muoi"})
_PERCENT_WORDS = re.compile(r"phần\s*trăm")
# Qualifiers that make a figure an estimate or a bound ("khoảng 900", "trên 1500", "20 trở lên"):
# a report states figures, so the officer is asked for the figure itself.
# By their accented spelling where the bare one is a number or another word ("tám", "gan").
_APPROXIMATE_BEFORE_ACCENTED = frozenset({"tầm", "gần", "chừng", "độ"})
_APPROXIMATE_BEFORE = (
    "khoang",
    "xap xi",
    "uoc tinh",
    "uoc",
    "it nhat",
    "toi thieu",
    "toi da",
    "khong duoi",
    "khong qua",
    "hon",
    "tren",
    "duoi",
    "~",
    "≈",
    ">",
    "<",
    "≥",
    "≤",
)
_APPROXIMATE_AFTER = ("tro len", "tro xuong", "hon", "+", "tro di")
# A duration's words right after a count's number: "2 tiếng rưỡi" is not a number of times.
_TIME_WORDS_AFTER = frozenset({"gio", "tieng", "phut", "ruoi", "h", "p", "ph", "giay"})
_WORD_AFTER_NUMBER = re.compile(r"[0-9](?:[.,][0-9]+)* ?([^\W\d_]+|\+)")
# "1,500" is fifteen hundred to a spreadsheet and one and a half to a Vietnamese reader.
_COMMA_THREE = re.compile(r"(?<![0-9.,])([0-9]{1,3}),([0-9]{3})(?![0-9.,])")

_DIGIT = re.compile(r"[0-9]")
_DIGIT_RUNS = re.compile(r"[0-9]+")
_NUMBER_RUN = re.compile(r"[0-9]+(?:[., ][0-9]+)*")
_INTEGER = re.compile(r"[0-9]+")
_SPACE_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?: [0-9]{3})+")
_SPACED_THOUSANDS_IN_TEXT = re.compile(r"(?<![0-9])[1-9][0-9]{0,2}(?: [0-9]{3})+(?![0-9])")
_DOT_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")
_COMMA_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:,[0-9]{3}){2,}")
_DECIMAL = re.compile(r"([0-9]+)[.,]([0-9]+)")
_GROUPED_DECIMAL = re.compile(r"([1-9][0-9]{0,2}(?:\.[0-9]{3})+),([0-9]+)")

_NUM = r"[0-9]+(?:[.,][0-9]+)*"
_HOUR_UNIT = r"(?:gio|tieng|hours|hour|hrs|hr|h|g)(?: dong ho)?"
_MINUTE_UNIT = r"(?:phut|ph|p|minutes|minute|mins|min|m|'|’|′)"
_DURATION = re.compile(
    rf"(?P<hours>{_NUM}) ?{_HOUR_UNIT}"
    rf"(?: ?(?P<half>ruoi)| ?(?P<minutes>{_NUM}) ?{_MINUTE_UNIT}?)?"
    rf"|(?P<only>{_NUM}) ?{_MINUTE_UNIT}?"
)

_DATE_NUMERIC = re.compile(r"([0-9]{1,2}) ?[/.-] ?([0-9]{1,2}) ?[/.-] ?([0-9]+)")
_DATE_WORDS = re.compile(r"([0-9]{1,2}) thang ([0-9]{1,2}),?(?: nam)? ([0-9]+)")
_DATE_ANYWHERE = re.compile(
    r"(?<![0-9])([0-9]{1,2}) ?[/.-] ?([0-9]{1,2}) ?[/.-] ?([0-9]{4})(?![0-9])"
    r"|(?<![0-9])([0-9]{1,2}) thang ([0-9]{1,2}),? nam ([0-9]{4})(?![0-9])"
)


def clean_text(text: str) -> str:
    """Tidy typed text: NFC, no control characters, no trailing spaces, at most one blank line."""
    lines = []
    # splitlines() knows every line break phones send (\r\n, \u2028, ...), so all become \n.
    for line in text.splitlines():
        kept = "".join(" " if ch == "\t" else ch for ch in line if ch == "\t" or _visible(ch))
        lines.append(kept.rstrip())
    joined = _MANY_NEWLINES.sub("\n\n", "\n".join(lines).strip())
    return unicodedata.normalize("NFC", joined)


def _visible(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category == "Cf":
        return ch in _KEPT_FORMAT
    return category not in ("Cc", "Cs") and ch not in _BLANK_LETTERS


def parse_count(text: str) -> int:
    """A whole number of things, 0 for "không"; "1.500" is fifteen hundred."""
    cleaned, folded = _prepare(text, _COUNT_HINT)
    if _core(folded) in _ZERO_WORDS:
        return 0
    _check_figures(cleaned, folded, _COUNT_DIGITS, counting=True)
    return int(_single_number(folded, _COUNT_HINT, whole_only=True))


def parse_minutes(text: str) -> int:
    """A duration in whole minutes: "90", "90p", "1 giờ 30", "1h30", "1 tiếng rưỡi", "1,5 giờ"."""
    cleaned, folded = _prepare(text, _MINUTES_HINT)
    core = _core(folded)
    if core in _ZERO_WORDS:
        return 0
    _check_figures(cleaned, folded, _MINUTES_HINT)
    # "1 000 phút" groups thousands with a space, as a count may: one rule for both.
    core = _SPACED_THOUSANDS_IN_TEXT.sub(lambda m: m[0].replace(" ", ""), core)
    match = _DURATION.fullmatch(core)
    if match is None:
        raise ParseError(_MINUTES_HINT)
    if match["only"] is not None:
        total = _read_number(match["only"], _MINUTES_HINT, whole_only=False)
        if total.denominator != 1:
            raise ParseError(_WHOLE_MINUTES)
    else:
        total = _read_number(match["hours"], _MINUTES_HINT, whole_only=False) * 60
        if match["half"] is not None:
            total += 30
        elif match["minutes"] is not None:
            minutes = _read_number(match["minutes"], _MINUTES_HINT, whole_only=False)
            if minutes.denominator != 1:
                raise ParseError(_WHOLE_MINUTES)
            if minutes >= 60:
                raise ParseError(_MINUTES_PART)
            total += minutes
    # Fractional hours ("1,33 giờ") land between minutes; the nearest minute is what was meant.
    rounded = math.floor(total + Fraction(1, 2))
    if rounded > MAX_NUMBER:
        raise ParseError(_TOO_BIG)
    return rounded


def parse_percent(text: str) -> int | float:
    """0 to 100, "%" optional, decimal comma or dot; int when whole, else one decimal place."""
    cleaned, folded = _prepare(text, _PERCENT_HINT)
    if _core(folded) in _ZERO_WORDS:
        return 0
    _check_figures(cleaned, folded, _PERCENT_HINT)
    value = _single_number(folded, _PERCENT_HINT, whole_only=False)
    if value > 100:
        raise ParseError(_PERCENT_RANGE)
    tenths = math.floor(value * 10 + Fraction(1, 2))
    if tenths % 10 == 0:
        return tenths // 10
    return tenths / 10


def parse_yes_no(text: str) -> bool:
    """True for "có", "ok", "rồi", "đã cập nhật" and the like; False for "không", "ko", "chưa",
    "chưa cập nhật" and the like; "có lẽ", "không rõ" and other hedges are refused."""
    _, folded = _prepare(text, _YES_NO_HINT)
    words = _core(folded.replace(",", " ")).split()
    core = " ".join(words)
    if core in _YES_WORDS:
        return True
    if core in _NO_WORDS:
        return False
    while len(words) > 1 and words[0] in _LEADING_SOFTENERS and words[1] in _ANSWER_STARTS:
        words = words[1:]  # "dạ, chưa": the softener only makes the answer polite
    core = " ".join(words)
    if core in _YES_WORDS:
        return True
    if core in _NO_WORDS:
        return False
    # An answer that repeats the question's verb: "có cập nhật", "đã cập nhật", "chưa cập nhật".
    if len(words) > 1 and " ".join(words[:2]) not in _HEDGES:
        if words[0] in ("co", "da"):
            return True
        if words[0] in ("chua", "khong", "ko"):
            return False
    raise ParseError(_YES_NO_HINT)


def parse_date(text: str) -> date:
    """A calendar date written day first: "08/01/2024", "8-1-2024", "ngày 8 tháng 1 năm 2024"."""
    _, folded = _prepare(text, _DATE_HINT)
    core = _core(folded)
    core = core.removeprefix("ngay").lstrip()
    match = _DATE_NUMERIC.fullmatch(core) or _DATE_WORDS.fullmatch(core)
    if match is None:
        raise ParseError(_DATE_HINT)
    if len(match[3]) != 4:
        raise ParseError(_DATE_YEAR_DIGITS)
    return _make_date(match[1], match[2], match[3])


def parse_short_text(text: str) -> str:
    """One line of free text, up to MAX_SHORT_TEXT characters; line breaks become spaces."""
    if len(text) > _MAX_INPUT:
        raise ParseError(_text_too_long(len(text), MAX_SHORT_TEXT))
    lines = (line.strip() for line in clean_text(text).split("\n"))
    single = " ".join(line for line in lines if line)
    _require_words(single)
    if len(single) > MAX_SHORT_TEXT:
        raise ParseError(_text_too_long(len(single), MAX_SHORT_TEXT))
    return single


def parse_long_text(text: str) -> str:
    """Free text over several lines, up to MAX_LONG_TEXT characters."""
    if len(text) > _MAX_INPUT:
        raise ParseError(_text_too_long(len(text), MAX_LONG_TEXT))
    cleaned = clean_text(text)
    _require_words(cleaned)
    if len(cleaned) > MAX_LONG_TEXT:
        raise ParseError(_text_too_long(len(cleaned), MAX_LONG_TEXT))
    return cleaned


def parse_choice(text: str, choices: Sequence[tuple[str, str]]) -> str:
    """The value of the choice picked by number, value, label or a unique label prefix."""
    hint = _choice_hint(choices)
    _, folded = _prepare(text, hint)
    core = _core(folded)
    if _INTEGER.fullmatch(core) and len(core) <= 4 and 1 <= int(core) <= len(choices):
        return choices[int(core) - 1][0]
    typed = {folded, core}
    for value, label in choices:
        if fold(value) in typed or fold(label) in typed:
            return value
    if len(core) >= 3:
        matches = [value for value, label in choices if fold(label).startswith(core)]
        if len(matches) == 1:
            return matches[0]
    raise ParseError(hint)


def parse_multi_choice(text: str, choices: Sequence[tuple[str, str]]) -> list[str]:
    """Several choices typed by number or name, separated by commas, spaces or new lines:
    "1, 3, 5", "1 3 5", "1;3". The values come back in the form's order, each once."""
    hint = _multi_choice_hint(choices)
    _, folded = _prepare(text, hint)
    picked: set[str] = set()
    for part in _LIST_SEPARATORS.split(_core(folded)):
        part = part.strip(" .")
        if not part:
            continue
        numbers = part.split()
        if all(_INTEGER.fullmatch(n) and len(n) <= 4 for n in numbers):
            for number in numbers:
                if not 1 <= int(number) <= len(choices):
                    raise ParseError(f"Không có mục số {int(number)}. {hint}")
                picked.add(choices[int(number) - 1][0])
            continue
        try:
            picked.add(parse_choice(part, choices))
        except ParseError:
            raise ParseError(f"Chưa hiểu «{part[:40]}». {hint}") from None
    if not picked:
        raise ParseError(hint)
    return [value for value, _ in choices if value in picked]


_BULLET = re.compile(r"^(?:[•*+]\s*|-\s+)")
_LIST_SEPARATORS = re.compile(r"[,;\n+]|\bva\b")


def _multi_choice_hint(choices: Sequence[tuple[str, str]]) -> str:
    listed = "\n".join(f"{index}. {label}" for index, (_, label) in enumerate(choices, start=1))
    return (
        f"Anh/chị vui lòng gõ số thứ tự các mục, cách nhau bằng dấu phẩy, ví dụ 1, 3, 5:\n{listed}"
    )


def parse_document_ref(text: str) -> DocumentRef:
    """The first "03/KH-UBND ngày 08/01/2024" in the text; words around it are ignored.

    Dashes of every kind ("KH–UBND", "KH - UBND") and a space before an upper-case part
    ("KH UBND") join the symbol's parts, so no part is cut off; a symbol that runs on into
    something unreadable ("KH.UBND") or a number with a sign ("-3/KH") is refused, never cut.
    """
    cleaned, _ = _prepare(text, _DOC_HINT)
    flat = _DASHES.sub("-", " ".join(cleaned.split()))
    # The first number followed by a symbol: "ngày 08/01/2024, số 03/KH-UBND" starts with a date.
    for match in _DOCUMENT_NUMBER.finditer(flat):
        symbol, end = _read_symbol(flat, match.end())
        if symbol:
            break
    else:
        raise ParseError(_DOC_HINT)
    if match["sign"] or int(match["number"]) == 0:
        typed = f"{match['sign'] or ''}{match['number']}"
        raise ParseError(f"Số văn bản «{typed}» chưa đúng. {_DOC_HINT}")
    if len(symbol) > _MAX_SYMBOL:
        raise ParseError(_DOC_HINT)
    if not _SYMBOL_END.match(flat, end):
        typed = flat[match.start() : end + 12].split(" ")[0]
        raise ParseError(f"Chưa đọc được ký hiệu văn bản «{typed}». {_DOC_HINT}")
    year = None
    if match["year"] is not None:
        year = int(match["year"])
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise ParseError(_DOC_YEAR)
    # The date usually follows the code, but "ngày ..., số ..." also occurs; search both sides.
    rest = fold(f"{flat[: match.start()]} {flat[end:]}")
    found = _DATE_ANYWHERE.search(rest)
    if found is None:
        raise ParseError(_DOC_DATE)
    day, month, year_text = found.group(1, 2, 3) if found[1] is not None else found.group(4, 5, 6)
    return DocumentRef(
        number=f"{int(match['number']):02d}",
        symbol=symbol.upper(),
        year=year,
        issued_on=_make_date(day, month, year_text),
    )


def _read_symbol(flat: str, at: int) -> tuple[str, int]:
    """The symbol starting at `at` ("KH-UBND"), its parts joined by "-", and where it ends.
    A part follows a dash, or a space when it is written in capitals ("KH UBND")."""
    first = _SYMBOL_PART.match(flat, at)
    if first is None:
        return "", at
    parts, end = [first[0]], first.end()
    while True:
        dashed = _DASHED_PART.match(flat, end)
        spaced = _SPACED_PART.match(flat, end)
        if dashed is not None:
            parts.append(dashed[1])
            end = dashed.end()
        elif (
            spaced is not None
            and spaced[1].isupper()
            and len(spaced[1]) >= 2
            and fold(spaced[1]) not in _WORDS_AFTER_SYMBOL
        ):
            parts.append(spaced[1])
            end = spaced.end()
        else:
            return "-".join(parts), end


# Every dash and minus a phone or a word processor may put between a symbol's parts.
_DASHES = re.compile(r"[\u2010-\u2015\u2212\ufe58\ufe63\uff0d\u2796]")
_DOCUMENT_NUMBER = re.compile(
    r"(?<![0-9\w])(?P<sign>-\s?)?(?P<number>[0-9]{1,6}) ?/ ?(?:(?P<year>[0-9]{4}) ?/ ?)?"
)
_SYMBOL_PART = re.compile(r"[^\W\d_][^\W_]*")
_DASHED_PART = re.compile(r" ?- ?([^\W_]+)")
_SPACED_PART = re.compile(r" ([^\W\d_][^\W_]*)")
_SYMBOL_END = re.compile(r"$|[\s,;:)]|\.(?:\s|$)")
# Capitalised words that may follow a symbol without being part of it.
_WORDS_AFTER_SYMBOL = frozenset(
    {"ngay", "cua", "ve", "do", "nam", "so", "v", "xa", "phuong", "huyen", "tinh", "thi", "tt"}
)


MAX_DOCUMENTS = 12
_DOC_ISSUER = re.compile(r"^\s*,?\s*(?:cua|do)\s+", re.IGNORECASE)
_DOC_ABOUT = re.compile(r"(?:^|\s|,)\s*(?:ve viec|ve|v/v)\s+")


def parse_document_refs(text: str) -> list[DocumentRef]:
    """Several documents, one per line (or separated by ";"), each "03/KH-UBND ngày 08/01/2024",
    optionally followed by "của <issuer>" and "về <subject>", kept as typed."""
    if len(text) > _MAX_INPUT:
        raise ParseError(_TOO_LONG + _DOCS_HINT)
    # A bullet goes ("- 03/KH...", "• 03/KH..."), a dash against the number stays: "-3/KH" is
    # not a list item but a number that cannot be right.
    lines = [_BULLET.sub("", line.strip()) for line in re.split(r"[\n;]", clean_text(text))]
    lines = [line for line in lines if line]
    if not lines:
        raise ParseError(_DOCS_HINT)
    if len(lines) > MAX_DOCUMENTS:
        raise ParseError(f"Tối đa {MAX_DOCUMENTS} văn bản. {_DOCS_HINT}")
    found: list[DocumentRef] = []
    for number, line in enumerate(lines, start=1):
        try:
            ref = parse_document_ref(line)
        except ParseError as exc:
            where = f"Dòng {number} («{line[:60]}»): " if len(lines) > 1 else ""
            raise ParseError(f"{where}{exc.message}\n{_DOCS_HINT}") from None
        issuer, about = _issuer_and_subject(line)
        found.append(DocumentRef(ref.number, ref.symbol, ref.year, ref.issued_on, issuer, about))
    codes = [ref.code() for ref in found]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ParseError(f"Văn bản {repeated[0]} được nhập hai lần. {_DOCS_HINT}")
    return found


def _issuer_and_subject(line: str) -> tuple[str, str]:
    """The words after the date: "của UBND huyện Văn Lâm về tuyên truyền CCHC" -> both parts,
    as typed (accents kept), without a final full stop."""
    flat = unicodedata.normalize("NFC", " ".join(line.split()))
    folded = fold(flat)
    if len(folded) != len(flat):  # a letter folded into two: positions would not line up
        return "", ""
    dates = list(_DATE_ANYWHERE.finditer(folded))
    if not dates:
        return "", ""
    start = dates[-1].end()
    tail, folded_tail = flat[start:], folded[start:]
    issuer = about = ""
    about_at = _DOC_ABOUT.search(folded_tail)
    if about_at is not None:
        about = tail[about_at.end() :].strip(" ,.;")
        tail, folded_tail = tail[: about_at.start()], folded_tail[: about_at.start()]
    issuer_at = _DOC_ISSUER.match(folded_tail)
    if issuer_at is not None:
        issuer = tail[issuer_at.end() :].strip(" ,.;")
    return issuer, about


def _prepare(text: str, hint: str) -> tuple[str, str]:
    """Refuse oversized or empty input; return the cleaned text and its fold()."""
    if len(text) > _MAX_INPUT:
        raise ParseError(_TOO_LONG + hint)
    _check_plain_digits(text)
    # NFKC turns fullwidth digits and no-break spaces into the plain ones the patterns expect.
    cleaned = clean_text(unicodedata.normalize("NFKC", text))
    folded = fold(cleaned)
    if not folded:
        raise ParseError(hint)
    return cleaned, folded


def _core(folded: str) -> str:
    """Drop trailing punctuation and politeness particles: "có ạ." -> "co"."""
    words = folded.rstrip(_TRAILING_PUNCTUATION + " ").split()
    while len(words) > 1 and words[-1].rstrip(_TRAILING_PUNCTUATION) in _PARTICLES:
        words.pop()
    return " ".join(words).rstrip(_TRAILING_PUNCTUATION + " ")


def _check_figures(cleaned: str, folded: str, no_digits: str, *, counting: bool = False) -> None:
    """Refusals shared by every numeric parser, most decisive first. `counting`: a count, which
    also refuses a duration's words after its number."""
    for digits in _DIGIT_RUNS.findall(folded):
        if len(digits.lstrip("0")) > _MAX_DIGITS:
            raise ParseError(_TOO_BIG)
    first_digit = _DIGIT.search(folded)
    if first_digit is None:
        raise ParseError(no_digits)
    prefix = folded[: first_digit.start()].rstrip()
    if _is_minus(prefix):
        raise ParseError(_NEGATIVE)
    words = set(re.findall(r"\w+", _PERCENT_WORDS.sub("%", cleaned.lower())))
    after = {fold(word) for word in _WORD_AFTER_NUMBER.findall(folded)}
    if (
        words & _MULTIPLIERS_ACCENTED
        or set(re.findall(r"\w+", folded)) & _MULTIPLIERS_FOLDED
        or after & _MULTIPLIERS_AFTER
    ):
        raise ParseError(_MULTIPLIER)
    accented_prefix = cleaned.lower()[: _first_digit_at(cleaned)].split()
    if (
        set(accented_prefix) & _APPROXIMATE_BEFORE_ACCENTED
        or any(_ends_with_words(prefix, word) for word in _APPROXIMATE_BEFORE)
        or any(_has_words(folded[first_digit.start() :], word) for word in _APPROXIMATE_AFTER)
    ):
        raise ParseError(_APPROXIMATE)
    if counting and after & _TIME_WORDS_AFTER:
        raise ParseError(_NOT_A_DURATION)
    comma_group = _COMMA_THREE.search(folded)
    if comma_group is not None:
        digits = int(comma_group[1] + comma_group[2])
        dotted = f"{digits:,}".replace(",", ".")
        raise ParseError(_COMMA_GROUP.format(typed=comma_group[0], digits=digits, dotted=dotted))


def _is_minus(prefix: str) -> bool:
    """Whether the words before the first digit make it negative: "-5", "âm 5", "trừ 5", "➖5"."""
    if not prefix:
        return False
    last = prefix[-1]
    if (
        last in _MINUS_SIGNS
        or unicodedata.category(last) == "Pd"
        or "MINUS" in unicodedata.name(last, "")
    ):
        return True
    return any(_ends_with_words(prefix, word) for word in ("am", "tru"))


def _ends_with_words(text: str, words: str) -> bool:
    """Whether `text` ends with `words` as whole words (or symbols): "khoang" in "tam khoang"."""
    if not text.endswith(words):
        return False
    before = text[: len(text) - len(words)]
    return not before or not (before[-1].isalnum() and words[0].isalnum())


def _has_words(text: str, words: str) -> bool:
    """Whether `words` occur in `text` as whole words (a symbol such as "+" anywhere)."""
    if not words[0].isalnum():
        return words in text
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def _first_digit_at(text: str) -> int:
    found = _DIGIT.search(text)
    return len(text) if found is None else found.start()


def _check_plain_digits(text: str) -> None:
    """Digits other than 0-9 are refused unless NFKC makes them the same digits (fullwidth
    "１２" is 12): superscripts ("1²" is not 12), circled digits ("①②" is not 12) and digits of
    other scripts would otherwise be dropped or glued to the ASCII ones."""
    for ch in text:
        if ch.isascii() or not unicodedata.category(ch).startswith("N"):
            continue
        if unicodedata.category(ch) == "Nd" and unicodedata.normalize("NFKC", ch) in _ASCII_DIGITS:
            continue  # fullwidth and mathematical digits: the same digit
        raise ParseError(_PLAIN_DIGITS)


_ASCII_DIGITS = frozenset("0123456789")


def _single_number(folded: str, hint: str, *, whole_only: bool) -> Fraction:
    """The one number in the text; words around it ("6 chuyên mục", "100%") are fine."""
    values: list[Fraction] = []
    for run in _NUMBER_RUN.findall(folded):
        # "1 500" groups thousands; any other space separates numbers ("6 3").
        parts = [run.replace(" ", "")] if _SPACE_THOUSANDS.fullmatch(run) else run.split(" ")
        values.extend(_read_number(part, hint, whole_only=whole_only) for part in parts)
    if not values:
        raise ParseError(hint)
    # Even equal numbers ("7*7", "6 6") are refused: which one was meant is a guess.
    if len(values) > 1:
        raise ParseError(_ONE_NUMBER)
    return values[0]


def _read_number(part: str, hint: str, *, whole_only: bool) -> Fraction:
    """One number written without spaces, Vietnamese style: "1.500" thousands, "1,5" decimal."""
    if _INTEGER.fullmatch(part):
        value = Fraction(_to_int(part))
    elif _DOT_THOUSANDS.fullmatch(part) or _COMMA_THOUSANDS.fullmatch(part):
        value = Fraction(_to_int(part.replace(".", "").replace(",", "")))
    else:
        match = _DECIMAL.fullmatch(part) or _GROUPED_DECIMAL.fullmatch(part)
        if match is None:
            raise ParseError(hint)
        if whole_only:
            raise ParseError(_WHOLE)
        # Digits past the twelfth cannot change a value rounded to a tenth (rounding is half-up).
        fraction = match[2][:_MAX_DIGITS]
        value = _to_int(match[1].replace(".", "")) + Fraction(int(fraction), 10 ** len(fraction))
    if value > MAX_NUMBER:
        raise ParseError(_TOO_BIG)
    return value


def _to_int(digits: str) -> int:
    # Bounding the length first keeps int() away from its huge-string limit and slow path.
    significant = digits.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        raise ParseError(_TOO_BIG)
    return int(significant or "0")


def _make_date(day: str, month: str, year: str) -> date:
    """A real calendar date in the accepted years, or a ParseError saying what is wrong."""
    d, m, y = int(day), int(month), int(year)
    if not _MIN_YEAR <= y <= _MAX_YEAR:
        raise ParseError(_DATE_YEAR_RANGE)
    try:
        return date(y, m, d)
    except ValueError:
        raise ParseError(
            f"Ngày {d:02d}/{m:02d}/{y} không có trên lịch. Anh/chị vui lòng kiểm tra lại và "
            f"nhập theo dạng dd/mm/yyyy, {_EXAMPLE_DATE}."
        ) from None


def _require_words(text: str) -> None:
    # Emoji or punctuation alone answers nothing; a letter or digit shows an actual answer.
    if not any(unicodedata.category(ch)[0] in "LN" for ch in text):
        raise ParseError(_TEXT_EMPTY)


def _text_too_long(length: int, limit: int) -> str:
    return f"Nội dung quá dài ({length} ký tự). Anh/chị vui lòng rút gọn còn tối đa {limit} ký tự."


def _choice_hint(choices: Sequence[tuple[str, str]]) -> str:
    if not choices:
        return "Hiện không có mục nào để chọn. Anh/chị vui lòng liên hệ quản trị viên."
    listed = "\n".join(f"{index}. {label}" for index, (_, label) in enumerate(choices, start=1))
    return f"Anh/chị vui lòng chọn một mục bằng cách gõ số thứ tự hoặc tên mục:\n{listed}"
