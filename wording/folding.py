"""Folding Vietnamese for matching: what a person typed, a name, a symbol, compared without
diacritics or case."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, drop diacritics (đ too) and collapse whitespace, for matching typed words."""
    # Normalising twice: lower() can reintroduce composed or upper-case forms NFKD would undo.
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).lower())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.replace("đ", "d").split())
