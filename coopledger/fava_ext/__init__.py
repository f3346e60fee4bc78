"""coopledger in fava: the members' window.

`journal/main.beancount` loads this extension (`coopledger init` writes the line):

    2000-01-01 custom "fava-extension" "coopledger.fava_ext"

It gives fava three things (docs/fava.md):

- a page, *Cooperative* in fava's sidebar: every member's balance against its
  floor and ceiling, with its name from members.yaml, and the monthly report of
  `coopledger report` with its trend chart (`coopledger.fava_ext.page`);
- a watch on journal/: fava's own watcher follows the files it read (and, as the
  plugin adds them, members.yaml and rules.yaml) but not a file created later,
  such as the first entry of a new month; the extension tells fava's watcher
  (`watcher.notify`) when a `.beancount` file under journal/ appears, changes or
  goes, so fava reloads without a restart;
- entries added with fava's form land where coopledger writes them: fava
  appends a new entry to main.beancount (its default file), which only a
  treasurer may change; `after_insert_entry` moves it to a file of its own in
  its owner's month, `journal/YYYY/MM/DD/<member>.fava-<hash>.beancount` (the
  payer of a trade, the member of a balance or a note), as `coopledger trade`
  writes its own. Then
  `coopledger commit -m ...` checks it as the pull-request gate would and commits it.

fava is an optional dependency: `pip install 'coopledger[fava]'`.

May import: fava, `coopledger.i18n`, model, validation, language, plugin, storage,
reporting, and
`ledger`: it is a face, like the command line (journals name it
`coopledger.fava_ext`, so it stays at the top of the package).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fava.beans.str import to_string
from fava.ext import FavaExtensionBase
from fava.helpers import FavaAPIError

from coopledger import i18n
from coopledger.fava_ext.page import Page, page_of
from coopledger.language.messages import describe
from coopledger.model import clock
from coopledger.model.journal import JOURNAL_DIR, MAIN_FILE, entry_file, owner_of
from coopledger.model.problems import CoopError, Problem
from coopledger.plugin import read_setup
from coopledger.storage.journal_text import insert_entries, newline_of

EXTENSION_MODULE = "coopledger.fava_ext"


class Coopledger(FavaExtensionBase):
    """The *Cooperative* page, the journal watch and the placing of new entries."""

    report_title = "Cooperative"

    def __init__(self, ledger: Any, config: str | None = None) -> None:
        super().__init__(ledger, config)
        self.root = Path(ledger.beancount_file_path).resolve().parent.parent
        self._watch = JournalWatch(self.root / JOURNAL_DIR, ledger.watcher.notify)
        self._watch.start()
        self._pages: dict[tuple[str | None, object], Page | None] = {}

    def after_load_file(self) -> None:
        self._pages.clear()  # the figures of the files fava read before

    # ------------------------------------------------------------ the page

    def page(self, asked_month: str | None = None) -> Page | None:
        """The page's figures (None when members.yaml or rules.yaml cannot be read:
        fava's error list, fed by the plugin, says why)."""
        key = (asked_month, clock.today())
        if key not in self._pages:
            rules, roster, problems = read_setup(str(self.root))
            if rules is None or roster is None or any(p.is_error for p in problems):
                return None
            entries: Any = self.ledger.all_entries  # fava's Directive: beancount's entries
            self._pages[key] = page_of(entries, roster, rules, clock.today(), asked_month)
        return self._pages[key]

    def error_count(self) -> int:
        return len(self.ledger.errors)

    def words(self) -> Callable[[str], str]:
        """The page's words in the cooperative's language: rules.yaml `language`,
        else the locale fava runs in (`coopledger.i18n.choose`), from the same
        catalogue as the command line's; figures stay as `report --json` writes them."""
        code = i18n.choose(None, i18n.language_in_rules(self.root), os.environ)
        if code == i18n.DEFAULT:
            return lambda text: text
        return i18n.catalogue(code).gettext

    # ------------------------------------------------------------ new entries

    def after_insert_entry(self, entry: Any) -> None:  # fava's Directive: beancount's
        """Move an entry fava appended to main.beancount into a file of its own in its
        owner's month (journal/YYYY/MM/DD/<owner>.fava-<hash>.beancount)."""
        main = Path(self.ledger.beancount_file_path)
        default = self.ledger.fava_options.default_file
        if default and Path(default).resolve() != main.resolve():
            return  # the cooperative chose another file for fava's entries
        owner = owner_of(entry)
        if owner is None:
            return  # no member's entry: it stays in main.beancount (a treasurer's file)
        options = self.ledger.fava_options
        text = to_string(entry, options.currency_column, options.indent)
        # a file of its own, as every write of the open period: two entries added
        # in fava on two branches never touch the same file (docs/journal-format.md)
        key = "fava-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
        target = self.root / entry_file(entry.date, owner, key)
        try:
            moved = move_entry(self.root, main, target, text)
        except CoopError as error:
            raise FavaAPIError(
                f"{describe(Problem(error.code, error.file, error.line, error.params))} "
                f"(the entry stays in {MAIN_FILE})"
            ) from error
        if moved:
            self.ledger.watcher.notify(target)
            self.ledger.watcher.notify(main)


def move_entry(root: Path, main: Path, target: Path, text: str) -> bool:
    """Take `text`, which fava appended at the end of `main`, out of it and append
    it to `target` as coopledger appends (`journal_text.insert_entries`). False,
    and nothing changed, when `main` does not end with it. CoopError when
    `target` is in a closed month (nothing changed either)."""
    from coopledger.storage.store import refuse_closed

    with open(main, encoding="utf-8", newline="") as handle:
        main_text = handle.read()
    newline = newline_of(main_text)
    added = ("\n" + text).replace("\n", newline)
    if not text or not main_text.endswith(added):
        return False
    refuse_closed(root, [target.relative_to(root).as_posix()])
    try:
        with open(target, encoding="utf-8", newline="") as handle:
            old = handle.read()
    except FileNotFoundError:
        old = ""
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as handle:
        handle.write(insert_entries(old, [text]).text)
    # the entry is in its file before it leaves main.beancount: never lost
    with open(main, "w", encoding="utf-8", newline="") as handle:
        handle.write(main_text[: -len(added)])
    return True


class JournalWatch(threading.Thread):
    """Calls `notify(path)` for each `.beancount` file under `folder` that is
    added, changed or removed (hidden files and folders aside), until stopped."""

    def __init__(self, folder: Path, notify: Any) -> None:
        super().__init__(daemon=True, name="coopledger-journal-watch")
        self.folder = folder
        self.notify = notify
        self._stop_event = threading.Event()
        atexit.register(self.stop)

    def stop(self) -> None:
        self._stop_event.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout=5)

    def run(self) -> None:
        from watchfiles import watch  # fava's own dependency

        try:
            for changes in watch(
                self.folder,
                recursive=True,
                stop_event=self._stop_event,
                ignore_permission_denied=True,
                watch_filter=lambda _change, path: is_journal_path(self.folder, path),
            ):
                for path in sorted({path for _, path in changes}):
                    self.notify(Path(path))
        except (OSError, RuntimeError):  # journal/ gone, or no watch to be had:
            return  # fava's own watcher still follows the files it read


def is_journal_path(folder: Path, path: str) -> bool:
    """A visible `.beancount` file under `folder` (what the include glob may read),
    or a visible folder (a file written at once in a new folder may come before
    the watch on that folder: the folder's own event says it)."""
    parts: Iterable[str] = os.path.relpath(path, folder).split(os.sep)
    if any(p.startswith(".") for p in parts):
        return False
    return path.endswith(".beancount") or "." not in os.path.basename(path)
