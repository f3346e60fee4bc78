"""Counts in words: '1 trade', '2 trades', '1 entry', '3 entries'.

>>> plural(1, "trade"), plural(0, "trade"), plural(3, "entry", "entries")
('1 trade', '0 trades', '3 entries')
"""

from __future__ import annotations


def plural(count: int, word: str, words: str | None = None) -> str:
    """`count` and the word, singular for exactly one."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def problem_counts(errors: int, warnings: int) -> str:
    """'1 error, 2 warnings' in the reader's language (the summary line of `check`)."""
    from coopledger.i18n import ngettext

    return (
        ngettext("{count} error", "{count} errors", errors).format(count=errors)
        + ", "
        + warning_count(warnings)
    )


def warning_count(warnings: int) -> str:
    """'1 warning', '0 warnings' in the reader's language."""
    from coopledger.i18n import ngettext

    return ngettext("{count} warning", "{count} warnings", warnings).format(count=warnings)


def member_count(members: int) -> str:
    from coopledger.i18n import ngettext

    return ngettext("{count} member", "{count} members", members).format(count=members)


def trade_count(trades: int) -> str:
    from coopledger.i18n import ngettext

    return ngettext("{count} trade", "{count} trades", trades).format(count=trades)


def counted(count: int, one: str, other: str) -> str:
    """`one` or `other` (texts marked with N_, `{count}` in them) in the reader's
    language, chosen by the language's plural rule (French says '0 échange', English
    '0 trades'), `{count}` filled:

    >>> counted(2, "{count} trade", "{count} trades")
    '2 trades'
    """
    from coopledger import i18n

    singular = count == 1
    if i18n.language() != i18n.DEFAULT:
        from babel import Locale

        singular = Locale.parse(i18n.language()).plural_form(count) == "one"
    return i18n._(one if singular else other).format(count=count)
