"""The reader's language: which one, its catalogue of words, its numbers and dates.

coopledger speaks English and French. The language is, in order: the global
option `--lang`, then `language:` in the cooperative's rules.yaml, then the
user's locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), then English.

Words are translated with gettext: the English text is the message id, the
French text lives in `coopledger/locale/fr/LC_MESSAGES/coopledger.po`, which
the package build compiles to a `.mo` file (see `setup.py`). When the `.mo` is
missing (a checkout run without installing), the `.po` is compiled in memory
with Babel; when that fails too, coopledger speaks English and says so once.

Numbers and dates are formatted with Babel for French, and kept as they were
(`1234.50`, ISO dates) for English, so that scripts reading English output
see no change:

    >>> set_language("fr")
    >>> amount_text(Decimal("-1234.50"))
    '-1\\u202f234,50'
    >>> date_text(datetime.date(2026, 10, 31))
    '31 octobre 2026'
    >>> set_language("en")
    >>> amount_text(Decimal("-1234.50"))
    '-1234.50'

JSON, CSV and the journal always use ISO dates and dotted numbers: only text for
people changes with the language.
"""

from __future__ import annotations

import datetime
import gettext
import io
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT = "en"
DOMAIN = "coopledger"
LOCALE_DIR = Path(__file__).parent / "locale"


def _catalogued() -> tuple[str, ...]:
    """English (the source texts) and every language with a catalogue in locale/:
    adding a language is adding its catalogue file, and nothing else."""
    found = {
        folder.parent.name
        for folder in LOCALE_DIR.glob("*/LC_MESSAGES")
        if any((folder / f"{DOMAIN}{suffix}").is_file() for suffix in (".po", ".mo"))
    }
    return (DEFAULT, *sorted(found - {DEFAULT}))


LANGUAGES = _catalogued()


class _State:
    language: str = DEFAULT
    warned: bool = False


_state = _State()
_catalogues: dict[str, gettext.NullTranslations] = {}


def N_(text: str) -> str:
    """Marks `text` for extraction; translated where it is shown."""
    return text


def language_of_locale(environ: Mapping[str, str]) -> str | None:
    """The language the user's locale names (`fr_FR.UTF-8` -> `fr`), if coopledger speaks it.

    As gettext does, the first of LC_ALL, LC_MESSAGES, LANG that is set decides."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            code = value.split(".")[0].split("@")[0].split("_")[0].lower()
            return code if code in LANGUAGES else None
    return None


def choose(option: str | None, rules_language: str | None, environ: Mapping[str, str]) -> str:
    """The language to speak: `--lang`, then rules.yaml, then the locale, then English."""
    for candidate in (option, rules_language, language_of_locale(environ)):
        if candidate in LANGUAGES:
            return candidate
    return DEFAULT


def set_language(code: str) -> None:
    _state.language = code if code in LANGUAGES else DEFAULT


def language() -> str:
    return _state.language


def _compiled_in_memory(po_path: Path) -> gettext.NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path.open("rb") as handle:
        catalogue = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _stale(folder: Path) -> bool:
    """A .mo older than its .po (the .po edited since the last build)."""
    try:
        return (folder / f"{DOMAIN}.po").stat().st_mtime > (folder / f"{DOMAIN}.mo").stat().st_mtime
    except OSError:
        return False


def catalogue(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of `code` (English: the identity)."""
    if code in _catalogues:
        return _catalogues[code]
    found: gettext.NullTranslations = gettext.NullTranslations()
    if code != DEFAULT:
        folder = LOCALE_DIR / code / "LC_MESSAGES"
        try:
            if _stale(folder):
                raise FileNotFoundError("the .mo is older than its .po")
            found = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code])
        except OSError:  # no .mo (a checkout not installed) or a stale one: compile the .po
            try:
                found = _compiled_in_memory(folder / f"{DOMAIN}.po")
            except Exception as error:
                if not _state.warned:
                    _state.warned = True
                    sys.stderr.write(
                        f"note: the {code} catalogue cannot be read ({error}); "
                        "coopledger speaks English\n"
                    )
    _catalogues[code] = found
    return found


def _(text: str) -> str:
    """`text` in the reader's language."""
    if _state.language == DEFAULT or not text:
        return text
    return catalogue(_state.language).gettext(text)


def pgettext(context: str, text: str) -> str:
    """`text` in the reader's language, where its sense depends on `context`."""
    if _state.language == DEFAULT or not text:
        return text
    return catalogue(_state.language).pgettext(context, text)


def ngettext(singular: str, plural: str, count: int | Decimal) -> str:
    if _state.language == DEFAULT:
        return singular if abs(count) == 1 else plural
    from babel import Locale

    # the language's own rule, from CLDR (French: '0 avertissement', '1,5 grain');
    # gettext wants an int: 1 stands for the singular, 2 for the plural
    one = Locale.parse(_state.language).plural_form(abs(Decimal(count))) == "one"
    return catalogue(_state.language).ngettext(singular, plural, 1 if one else 2)


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


_patterns: dict[tuple[str, int], tuple[Any, Any]] = {}


def _number_pattern(decimals: int) -> tuple[Any, Any]:
    """Babel's parsed pattern for `decimals` places and the reader's locale, kept: what
    `babel.numbers.format_decimal` parses again at each call (a third of its time)."""
    key = (_state.language, decimals)
    if key not in _patterns:
        from babel import Locale
        from babel.numbers import parse_pattern

        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        _patterns[key] = (parse_pattern(pattern), Locale.parse(_state.language))
    return _patterns[key]


def amount_text(value: Decimal) -> str:
    """A number with exactly its own decimals (`Decimal("12.50")` keeps two).

    What `babel.numbers.format_decimal(value, "#,##0.00", locale)` returns, with
    the pattern and the locale parsed once."""
    if _state.language == DEFAULT or not value.is_finite():
        return f"{value:f}"
    pattern, locale = _number_pattern(_decimals(value))
    return str(pattern.apply(value, locale))


def amount_texts(minor: Sequence[int], decimals: int) -> list[str]:
    """`amount_text` of many amounts given in minor units (12345, 2 -> `1 234,50`),
    each distinct amount formatted once: for reports of many lines."""
    texts: dict[int, str] = {}
    for value in minor:
        if value not in texts:
            texts[value] = amount_text(Decimal(value).scaleb(-decimals))
    return [texts[value] for value in minor]


def date_text(value: datetime.date, *, short: bool = False) -> str:
    """A date as the language writes it in a sentence, or `short` in a table."""
    if _state.language == DEFAULT:
        return value.isoformat()
    from babel.dates import format_date

    return str(format_date(value, format="short" if short else "long", locale=_state.language))


def month_text(first_day: datetime.date, *, short: bool = False) -> str:
    """The month of `first_day` as the language names it in a sentence ("novembre
    2026"), or `short` in a table ("nov. 2026"); English keeps 2026-11, as written
    in the journal's folders and on the command line."""
    if _state.language == DEFAULT:
        return f"{first_day.year:04d}-{first_day.month:02d}"
    from babel.dates import format_date

    return str(
        format_date(first_day, format="LLL y" if short else "LLLL y", locale=_state.language)
    )


def list_text(items: Iterable[str]) -> str:
    """Items joined as the language joins a list; `none` when there are none."""
    values = list(items)
    if not values:
        return _("none")
    if _state.language == DEFAULT:
        return ", ".join(values)
    from babel.lists import format_list

    return str(format_list(values, locale=_state.language))


_RULES_LANGUAGE = re.compile(r"^language:[ \t]*[\"']?([a-z]{2})[\"']?[ \t]*(?:#.*)?$", re.M)


def language_in_rules(folder: Path) -> str | None:
    """The `language:` of the rules.yaml in `folder` or above, read without parsing
    the YAML (the language is needed before any command loads the rules, and for
    the errors of rules.yaml itself); None when there is none or it is unknown."""
    for place in (folder, *folder.parents):
        rules = place / "rules.yaml"
        try:
            if rules.is_symlink():  # a pull request's link may point anywhere: not followed
                return None
            if not rules.is_file():
                continue
            with rules.open("rb") as handle:  # the head only: a huge file is not read whole
                text = handle.read(65536).decode("utf-8", errors="replace")
        except OSError:
            return None
        found = _RULES_LANGUAGE.search(text)
        return found.group(1) if found and found.group(1) in LANGUAGES else None
    return None


def from_environment() -> str:
    """The language of the locale alone (before any option or rules.yaml is read)."""
    return choose(None, None, os.environ)


def status_word(status: str) -> str:
    """A member's status (`members.Member.status_at`) as tables note it, in the reader's
    language (the calls below are what Babel extracts: a status in a variable is not)."""
    words = {
        "active": pgettext("member status", "active"),
        "suspended": pgettext("member status", "suspended"),
        "left": pgettext("member status", "left"),
        "not-joined": pgettext("member status", "not-joined"),
    }
    return words.get(status, status)
