"""Counts and articles in sentences: "1 night", "2 nights", "an interrupted session".

One place for the small grammar of every message, so no line says "1 nights", "problem(s)"
or "a interrupted". Plain functions, no imports: any layer may use them.
"""

from __future__ import annotations


def plural(count: int | str, word: str, many: str | None = None) -> str:
    """The count and the word in the form it takes: `plural(1, "night")` is "1 night",
    `plural(0, "night")` "0 nights", `plural("1.5", "point")` "1.5 points".

    `count` may be the number as it will be shown (a formatted decimal): only exactly one
    is singular ("1", not "1.0" or "0.5"). `many` gives an irregular plural.
    """
    text = str(count)
    if text == "1":
        return f"{text} {word}"
    return f"{text} {many or word + 's'}"


def noun(count: int, word: str, many: str | None = None) -> str:
    """The word alone, in the form the count asks for: "record" or "records"."""
    return plural(count, word, many).split(" ", 1)[1]


def article(word: str) -> str:
    """ "a stopped", "an interrupted": by the first letter, which is right for the words
    matlog puts after an article (endings, areas, layers; not "an hour"-like exceptions)."""
    return ("an " if word[:1].lower() in "aeiou" else "a ") + word
