"""Documents as reports cite them: "03/KH-UBND ngày 08/01/2024", "Kế hoạch" for a KH- symbol."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from wording.folding import fold

# The kinds of document communes cite, by the first part of the symbol (folded, upper case).
DOCUMENT_KINDS = {
    "KH": "Kế hoạch",
    "QD": "Quyết định",
    "NQ": "Nghị quyết",
    "CT": "Chỉ thị",
    "DA": "Đề án",
    "HD": "Hướng dẫn",
    "TB": "Thông báo",
    "CV": "Công văn",
    "ND": "Nghị định",
    "TT": "Thông tư",
    "BC": "Báo cáo",
    "KL": "Kết luận",
    "CTR": "Chương trình",
}


@dataclass(frozen=True)
class DocumentRef:
    """A legal document as cited in reports: number, symbol, optional year and issue date, and
    where the officer gave them, who issued it ("UBND huyện Văn Lâm") and what it is about."""

    number: str  # as issued, zero-padded to 2 digits: "03", "181"
    symbol: str  # "KH-UBND"; for 22/2020/QĐ-UBND the symbol is "QĐ-UBND" and year is 2020
    year: int | None
    issued_on: date
    issuer: str = ""  # "UBND huyện Văn Lâm"; "" when not given
    about: str = ""  # "tuyên truyền cải cách hành chính năm 2024"; "" when not given

    @property
    def kind(self) -> str:
        """The document's kind by its symbol: "KH-UBND" -> "Kế hoạch", "QĐ-UBND" -> "Quyết định";
        "" for a symbol the table does not know ("văn bản" is then the safe word)."""
        head = fold(self.symbol.split("-")[0]).upper()
        return DOCUMENT_KINDS.get(head, "")

    def code(self) -> str:
        """Number and symbol: "03/KH-UBND" or "22/2020/QĐ-UBND"."""
        if self.year is None:
            return f"{self.number}/{self.symbol}"
        return f"{self.number}/{self.year}/{self.symbol}"

    def text(self) -> str:
        """The citation as administrative documents write it: "03/KH-UBND ngày 08/01/2024"."""
        return f"{self.code()} ngày {self.issued_on:%d/%m/%Y}"

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "number": self.number,
            "symbol": self.symbol,
            "year": self.year,
            "issued_on": self.issued_on.isoformat(),
        }
        if self.issuer:
            data["issuer"] = self.issuer
        if self.about:
            data["about"] = self.about
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> DocumentRef:
        """Inverse of to_json; stored data that does not fit raises ValueError."""
        number, symbol, issued_on = data.get("number"), data.get("symbol"), data.get("issued_on")
        if not (isinstance(number, str) and isinstance(symbol, str) and isinstance(issued_on, str)):
            raise ValueError(f"not a stored document reference: {dict(data)!r}")
        raw_year = data.get("year")
        year: int | None
        if raw_year is None:
            year = None
        elif isinstance(raw_year, int) and not isinstance(raw_year, bool):
            year = raw_year
        else:
            raise ValueError(f"document reference year must be an integer: {raw_year!r}")
        issuer, about = data.get("issuer", ""), data.get("about", "")
        return cls(
            number=number,
            symbol=symbol,
            year=year,
            issued_on=date.fromisoformat(issued_on),
            issuer=issuer if isinstance(issuer, str) else "",
            about=about if isinstance(about, str) else "",
        )
