"""One form for text that matlog compares: tags, areas, metric names and filters.

`café` typed on one machine (NFC: é is one code point) and synced from another (NFD: e and
a combining accent) look the same and must count as one tag. New records are stored in
NFC; records already in a journal are normalised where they are compared or grouped.
"""

from __future__ import annotations

import unicodedata


def nfc(text: str) -> str:
    """`text` in Unicode NFC. ASCII (nearly every tag) is returned as it is, at once."""
    return text if text.isascii() else unicodedata.normalize("NFC", text)
