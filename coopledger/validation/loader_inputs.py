"""What beancount's loader may read: the rules on the files of a cooperative.

beancount reads `journal/main.beancount` and follows its directives: `include`
(any file, a glob, an absolute path, /proc/self/environ), `plugin` (Python
code, imported), `option "insert_pythonpath"` (put the file's folder first on
Python's path, even when set in an included file, so that a `coopledger/`
folder beside it replaces the plugin). The pull-request gate judges the text
of the journal files; to judge what the loader reads, and only that:

- only `journal/main.beancount` holds `include`, `option` and `plugin` lines,
  and a change never alters its `include` and `plugin` lines nor sets
  `insert_pythonpath` (`main_directive_problems`);
- every file the loader reads is a regular file under journal/ (no symbolic
  link, no submodule), a visible `.beancount` file, in UTF-8;
- nothing Python or beancount could pick up from the folder (a `.py` module,
  compiled code, a `.pth` file, beancount's pickle cache) is part of a change.

The same rules run in the gate (on git's objects), in `coopledger check` and in
the plugin (on the files the loader read, `loaded_file_problems`).

    >>> directive_lines('option "title" "x"\\n2026-01-01 open Assets:A\\ninclude "b"\\n')
    [(1, 'option'), (3, 'include')]
    >>> undecodable_line("ok\\nbad \\udce9\\n")
    2
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable

from beancount.core import data

from coopledger.model.journal import FAVA_EXTENSION, JOURNAL_DIR, MAIN_FILE
from coopledger.model.paths import relative
from coopledger.model.problems import Problem

LOADER_KEYWORDS = ("include", "option", "plugin")
FORBIDDEN_OPTIONS = ("insert_pythonpath",)  # never set, not even in main.beancount
# beancount ends a line at "\n" and also at a lone "\r"
_DIRECTIVE = re.compile(r"(?:^|\r)[ \t]*(include|option|plugin)\b", re.MULTILINE)
_DIRECTIVE_BYTES = re.compile(rb"(?:^|\r)[ \t]*(include|option|plugin)\b", re.MULTILINE)
_OPTION_NAME = re.compile(r'^[ \t]*option[ \t]+"([^"]*)"')
CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyw", ".pyd", ".so", ".pth", ".egg", ".whl")
CACHE_SUFFIX = ".picklecache"

# git's modes of a tree entry
REGULAR_MODES = ("100644", "100755")
MODE_KINDS = {"120000": "a symbolic link", "160000": "a submodule (another repository)"}


def directive_lines(text: str) -> list[tuple[int, str]]:
    """(line, keyword) of every `include`, `option` and `plugin` line."""
    return [(text.count("\n", 0, m.start()) + 1, m.group(1)) for m in _DIRECTIVE.finditer(text)]


def loader_lines(text: str) -> list[str]:
    """The `include` and `plugin` lines, stripped, in order: what a change may not alter."""
    return [
        line.strip()
        for line in text.splitlines()
        if line.lstrip().startswith(("include", "plugin"))
    ]


def forbidden_options(text: str) -> list[tuple[int, str]]:
    """(line, name) of every option that is never set (`insert_pythonpath`)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _OPTION_NAME.match(line)
        if match and match.group(1) in FORBIDDEN_OPTIONS:
            found.append((number, match.group(1)))
    return found


def undecodable_line(text: str) -> int | None:
    """The first line holding a byte that is not UTF-8 (text read with
    errors="surrogateescape": such a byte is a lone surrogate), or None."""
    for number, line in enumerate(text.split("\n"), start=1):
        if any("\udc80" <= c <= "\udcff" for c in line):
            return number
    return None


def undecodable_byte_line(raw: bytes) -> int | None:
    """The first line of `raw` that is not UTF-8, or None."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return raw.count(b"\n", 0, error.start) + 1
    return None


def parsable(text: str) -> str:
    """`text` with any byte that is not UTF-8 replaced, for the parser."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def is_code_or_cache(path: str) -> bool:
    """A file Python or beancount could pick up: a module, compiled code, a
    `.pth` file, a `__pycache__` folder, beancount's pickle cache."""
    name = path.rsplit("/", 1)[-1].lower()
    return (
        name.endswith(CODE_SUFFIXES)
        or name.endswith(CACHE_SUFFIX)
        or "__pycache__" in path.split("/")
    )


def is_loadable_journal_path(path: str) -> bool:
    """A path under journal/ that the journal may hold: a visible `.beancount` file."""
    parts = path.split("/")
    return (
        len(parts) >= 2
        and parts[0] == JOURNAL_DIR
        and path.endswith(".beancount")
        and not any(part.startswith(".") for part in parts)
    )


def text_problems(text: str, path: str) -> list[Problem]:
    """The rules on one journal file's text: UTF-8; `include`, `option` and
    `plugin` only in main.beancount; `insert_pythonpath` nowhere."""
    problems = []
    bad = undecodable_line(text)
    if bad is not None:
        problems.append(Problem("not-utf8", path, bad, {}))
    if path != MAIN_FILE:
        for line, keyword in directive_lines(text):
            problems.append(Problem("loader-directive", path, line, {"keyword": keyword}))
    else:
        for line, name in forbidden_options(text):
            problems.append(Problem("loader-option", path, line, {"option": name}))
    return problems


def main_directive_problems(before: str | None, after: str | None) -> list[Problem]:
    """A change of main.beancount's `include` or `plugin` lines (never allowed)."""
    if after is None or before is None or loader_lines(before) == loader_lines(after):
        return []
    old = set(loader_lines(before))
    line = next(
        (n for n, k in directive_lines(after) if k != "option" and _line(after, n) not in old),
        None,
    )
    return [Problem("loader-lines-changed", MAIN_FILE, line or 1, {})]


def _line(text: str, number: int) -> str:
    return text.splitlines()[number - 1].strip()


# ---------------------------------------------------------------- what the loader read


def loaded_file_problems(
    root: str, top: str, files: Iterable[str], pythonpath: Iterable[str] = ()
) -> list[Problem]:
    """The rules on the files beancount's loader read (`options_map["include"]`,
    its top file `top` left out), each file relative to `root`; `pythonpath`
    is `options_map["pythonpath"]` (set by `insert_pythonpath`)."""
    problems: list[Problem] = []
    journal = os.path.join(root, JOURNAL_DIR) + os.sep
    top = os.path.normpath(top)
    folders: dict[str, bool] = {}
    prefix = os.path.join(root, "")
    for name in sorted({os.path.normpath(f) for f in files}):
        relative = name[len(prefix) :] if name.startswith(prefix) else os.path.relpath(name, root)
        if name == top and relative != MAIN_FILE:
            continue  # coopledger's own top file for the open period
        if not name.startswith(journal) or not is_loadable_journal_path(relative):
            problems.append(Problem("loader-outside-journal", relative, None, {}))
            continue
        kind = _not_regular(root, relative, folders)
        if kind:
            problems.append(Problem("loader-not-regular", relative, None, {"kind": kind}))
            continue
        try:
            with open(name, "rb") as handle:
                raw = handle.read()
        except OSError:
            continue  # beancount said it could not read it
        bad = undecodable_byte_line(raw)
        if bad is not None:
            problems.append(Problem("not-utf8", relative, bad, {}))
        if relative != MAIN_FILE and _may_hold_directive(raw) and _DIRECTIVE_BYTES.search(raw):
            text = raw.decode("utf-8", "replace")
            problems.extend(
                Problem("loader-directive", relative, line, {"keyword": keyword})
                for line, keyword in directive_lines(text)
            )
        elif relative == MAIN_FILE:
            text = raw.decode("utf-8", "replace")
            problems.extend(
                Problem("loader-option", relative, line, {"option": option})
                for line, option in forbidden_options(text)
            )
    if list(pythonpath) and not any(p.code == "loader-option" for p in problems):
        problems.append(Problem("loader-option", MAIN_FILE, None, {"option": FORBIDDEN_OPTIONS[0]}))
    return problems


def _may_hold_directive(raw: bytes) -> bool:
    """A quick look before the regular expression (most files hold none of the words)."""
    return b"include" in raw or b"option" in raw or b"plugin" in raw


def _not_regular(root: str, relative: str, folders: dict[str, bool]) -> str | None:
    """What the path is when it, or a folder on the way to it, is no regular
    file or folder of the repository (a symbolic link). `folders` keeps the
    folders already seen (whether each is a link)."""
    path = root
    parts = relative.split("/")
    for part in parts[:-1]:
        path = f"{path}{os.sep}{part}"
        if path not in folders:
            folders[path] = os.path.islink(path)
        if folders[path]:
            return "a symbolic link"
    path = f"{path}{os.sep}{parts[-1]}"
    try:
        info = os.lstat(path)
    except OSError:
        return None  # beancount said it could not read it
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    return None if stat.S_ISREG(info.st_mode) else "not a regular file"


# ---------------------------------------------------------------- fava's directives

FAVA_CODE_OPTIONS = ("import-config",)  # a Python file fava runs (its importers)


def runs_code_in_fava(entry: data.Directive) -> str | None:
    """What a fava directive would have fava run, or None: a `fava-extension`
    other than coopledger's own (fava imports any module it names, from the
    journal's folder first) or the option `import-config` (a Python file)."""
    if not isinstance(entry, data.Custom) or not entry.values:
        return None
    first = entry.values[0].value
    if entry.type == "fava-extension" and first != FAVA_EXTENSION:
        return f'"{first}"'
    if entry.type == "fava-option" and first in FAVA_CODE_OPTIONS:
        return f'"{first}"'
    return None


def fava_code_problems(entries: Iterable[data.Directive], root: str) -> list[Problem]:
    """A problem for each fava directive that would have fava run code."""
    problems = []
    for entry in entries:
        what = runs_code_in_fava(entry)
        if what is not None:
            file = relative(entry.meta.get("filename"), root)
            problems.append(
                Problem("fava-runs-code", file, entry.meta.get("lineno"), {"what": what})
            )
    return problems
