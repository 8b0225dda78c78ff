"""Figures as Vietnamese documents write them."""

from __future__ import annotations


def group_thousands(number: int) -> str:
    """1500 -> '1.500': a dot groups thousands in Vietnamese."""
    return f"{number:,}".replace(",", ".")
