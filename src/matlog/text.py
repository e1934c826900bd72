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


def shown(text: str) -> str:
    """`text` safe to put on a terminal: control characters (escape, carriage return, bell…)
    written out as `\\x1b` and the like, so a note or tag (typed, or imported from a synced
    journal) can neither drive the terminal nor overwrite or hide what matlog prints."""
    if text.isprintable():
        return text
    return "".join(
        f"\\x{ord(char):02x}" if unicodedata.category(char) == "Cc" else char for char in text
    )
