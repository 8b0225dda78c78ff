"""Reporting periods in words: "quý IV năm 2026", "6 tháng đầu năm 2026", "năm 2026"."""

from __future__ import annotations

from storage.models import PeriodKind

ROMAN_QUARTERS = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_words(kind: str, year: int, number: int) -> str:
    """'quý IV năm 2026', '6 tháng đầu năm 2026', 'năm 2026': as the summary line writes it
    (`kind` is "quarter", "half_year" or "year"; a PeriodKind compares equal)."""
    if kind == PeriodKind.QUARTER:
        return f"quý {ROMAN_QUARTERS[number]} năm {year}"
    if kind == PeriodKind.HALF_YEAR:
        return f"6 tháng đầu năm {year}"
    return f"năm {year}"
