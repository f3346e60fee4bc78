"""Text typed by people, kept free of control characters.

A memo, a name or a category is shown on terminals, written into beancount
files and exported to spreadsheets. A control character in it (NUL, an
escape sequence such as ESC [31m, a carriage return, a tab...) would make git
call the file binary, repaint a terminal that prints it, or change what a
line seems to say. Such text is refused, saying where the character is and
which it is:

    >>> control_character("pain\\x1b[31m")
    (5, 'U+001B')
    >>> control_character("pain complet") is None
    True
"""

from __future__ import annotations

import unicodedata

from coopledger.model.problems import CoopError

# besides Unicode's control characters (Cc: C0, DEL and C1), the line and
# paragraph separators, which end a line on some screens and not on others
_ALSO_REFUSED = {"\u2028", "\u2029"}


def control_character(text: str) -> tuple[int, str] | None:
    """The 1-based position and code point (U+001B) of the first control
    character in `text`, or None."""
    if text.isprintable():  # the usual case, in C: no control character at all
        return None
    for index, char in enumerate(text):
        if char in _ALSO_REFUSED or unicodedata.category(char) == "Cc":
            return index + 1, f"U+{ord(char):04X}"
    return None  # printable() also says no to spaces other than ' ': those are fine


def checked_text(text: str, what: str) -> str:
    """`text` unchanged, or CoopError naming `what` (memo, name...), the position
    and the code point of its first control character."""
    found = control_character(text)
    if found is not None:
        position, code = found
        raise CoopError("text-control-character", what=what, position=position, character=code)
    return text


def visible(text: str) -> str:
    """`text` with each control character written as an escape (\\x1b, \\u2028), so
    that a message quoting what a user typed never replays it on a terminal."""
    if text.isprintable():
        return text
    return "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}")
        if c in _ALSO_REFUSED or unicodedata.category(c) == "Cc"
        else c
        for c in text
    )
