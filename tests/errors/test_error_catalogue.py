"""The catalogue of messages: every code has a reproducer (or a reason why not
here), French words, and the same placeholders in both languages.

A code added to `coopledger.language.messages.MESSAGES` fails these tests until it gets a
French text in coopledger/locale/fr/LC_MESSAGES/coopledger.po and a reproducer
in test_error_reproducers.py (or a line below saying where it is reproduced).
"""

from __future__ import annotations

import datetime
import functools
import gettext
import importlib.util
import string
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType

import pytest
from babel.messages.pofile import read_po

from coopledger import i18n
from coopledger.language import messages
from coopledger.model.problems import Problem

HERE = Path(__file__).parent
PO = HERE.parents[1] / "coopledger" / "locale" / "fr" / "LC_MESSAGES" / "coopledger.po"
POT = HERE.parents[1] / "coopledger" / "locale" / "coopledger.pot"


def _reproduced() -> frozenset[str]:
    spec = importlib.util.spec_from_file_location("reproducers", HERE / "test_error_reproducers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("reproducers", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return frozenset(module.REPRODUCED)


# Codes without a reproducer in this folder, by why. Each group is reproduced, by
# its English message, in the test file of its topic; moving a code from here to a
# Case of test_error_reproducers.py is always welcome.
# rules.yaml and members.yaml: tests/test_yaml_errors.py, test_members.py, test_rules_properties.py
FILES = (
    "yaml-syntax",
    "yaml-not-a-mapping",
    "yaml-missing-key",
    "yaml-wrong-type",
    "yaml-bad-value",
    "yaml-bad-integer",
    "yaml-bad-date",
    "yaml-bad-amount",
    "yaml-amount-too-precise",
    "rules-no-kinds",
    "member-duplicate-id",
    "member-duplicate-email",
    "missing-file",
    "rules-bad-coop-account",
    "rules-coop-account-is-member",
    "rules-coop-account-twice",
    "rules-unknown-coop-account",
    "rules-bad-percent",
    "rules-negative-amount",
    "rules-refused",
    "yaml-duplicate-key",
    "yaml-alias",
    "yaml-not-finite",
    "yaml-number-too-large",
    "yaml-control-character",
    "limits-floor-above-ceiling",
    "member-bad-signing-key",
)
# problems of hand-written journal files: tests/test_check.py, test_invoices.py, test_bad_input.py
JOURNAL = (
    "beancount",
    "conflict-marker",
    "currency-mismatch",
    "duplicate-trade-id",
    "foreign-account",
    "unknown-member-account",
    "member-not-active",
    "wrong-currency",
    "too-precise",
    "self-trade",
    "below-floor",
    "above-ceiling",
    "total-not-zero",
    "file-not-included",
    "obligation-without-reference",
    "obligation-several-references",
    "invoice-malformed",
    "invoice-to-self",
    "duplicate-invoice-ref",
    "invoice-bad-due",
    "unknown-invoice-ref",
    "reduction-malformed",
    "reduction-before-invoice",
    "invoice-overpaid",
    "clearing-increases-invoice",
    "clearing-changes-net-position",
    "journal-amount-too-large",
    "journal-control-character",
    "journal-date-beyond-horizon",
    "not-utf8",
    "loader-directive",
    "loader-option",
    "loader-outside-journal",
    "loader-not-regular",
)
# the place the command runs in (git, locks, disks, identity): tests/test_write_path.py,
# test_kills.py, test_identity.py, test_init.py, test_concurrency.py
ENVIRONMENT = (
    "file-changed-under-us",  # tests/test_plain_text.py
    "not-a-cooperative",
    "already-a-cooperative",
    "not-a-git-repository",
    "detached-head",
    "dirty-tree",
    "journal-locked",
    "init-no-author",
    "repository-has-history",
    "no-author",
    "author-without-email",
    "git-failed",
    "write-failed",
    "private-folder-link",
    "private-folder-not-folder",
    "demo-not-empty",
    "system-refused",
    "git-identity-not-member",
    "as-not-allowed",
    "author-not-active",
    "sparse-checkout",
    "skip-worktree",
    "assume-unchanged",
    "write-rolled-back",
    "write-completed",
    "write-record-unreadable",
    "git-lock-removed",
)
# refusals of other commands (member, invoice, clearing, close, reverse, ci):
# tests/test_members.py, test_invoices.py, test_clearing*.py, test_close_reverse.py
COMMANDS = (
    # trading between cooperatives: tests/test_federation.py
    "federation-books-differ",
    "federation-names-differ",
    "federation-not-linked",
    "federation-rates-differ",
    "partner-account-missing",
    "partner-amount-differs",
    "partner-bad-id",
    "partner-bad-line",
    "partner-bad-member",
    "partner-bad-rate",
    "partner-bad-repo",
    "partner-ceiling",
    "partner-entry-differs",
    "partner-exists",
    "partner-fetch-failed",
    "partner-file-not-regular",
    "partner-floor",
    "partner-mirror-missing",
    "partner-mirror-not-origin",
    "partner-mirror-unverified",
    "partner-mirror-without-origin",
    "partner-origin-missing",
    "partner-pays-there",
    "partner-rate-differs",
    "partner-refused",
    "partner-rules-accounts",
    "partner-sync-closed-month",
    "partner-sync-no-id",
    "partner-sync-unknown-member",
    "partner-treasurer-only",
    "partner-twice",
    "unknown-partner",
    # partner check of the clearings among groups: tests/test_federation_clearing_check.py
    "partner-clearing-differs",
    "partner-clearing-missing",
    "partner-clearing-twice",
    # everyday use: tests/test_everyday.py
    "ambiguous-trade",
    "branch-needs-apply",
    "closed-month-write",
    "commit-no-message",
    "commit-refused",
    "edit-nothing-to-change",
    "email-taken",
    "journal-account-case",
    "journal-date-format",
    "journal-decimal-comma",
    "journal-posting-not-indented",
    "leave-before-last-trade",
    "limit-unchanged",
    "nothing-to-commit",
    "rules-set-bad-key",
    "rules-set-not-a-value",
    "rules-set-unchanged",
    "unknown-help-topic",
    "bad-kind",
    "bad-today",
    "bad-currency",
    "bad-email",
    "unknown-category",
    "member-not-active-on",
    "change-refused",
    "ledger-has-problems",
    "balance-not-zero",
    "clearing-too-large",
    "period-reversed",
    "self-invoice",
    "bad-invoice-ref",
    "invoice-exists",
    "due-before-date",
    "unknown-invoice",
    "settle-too-much",
    "bad-branch-name",
    "branch-exists",
    "credit-needs-journal",
    "apply-needs-journal",
    "not-treasurer",
    "no-periodic-rules",
    "period-not-over",
    "limit-nothing-to-change",
    "limit-floor-above-ceiling",
    "month-not-over",
    "month-already-closed",
    "treasurer-only",
    "unknown-trade",
    "already-reversed",
    "reverse-refused",
    "bad-ci-platform",
    "ci-file-exists",
    "text-control-character",
    "write-in-closed-period",
    "close-leaves-earlier-open",
    "member-id-reserved",
)
# CSV import and invoices from CSV: tests/test_import_export.py, test_clearing.py
CSV = (
    "file-not-found",
    "csv-not-utf8",
    "csv-empty",
    "csv-no-rows",
    "csv-missing-column",
    "csv-unknown-column",
    "csv-wrong-field-count",
    "import-refused",
    "import-possible-duplicate",
    "csv-errors",
    "csv-bad-header",
    "csv-bad-row",
    "csv-missing-party",
    "csv-same-party",
    "csv-duplicate-ref",
    "file-unreadable",
    "csv-malformed",
    "csv-field-too-large",
    "import-duplicate",
    "import-no-file",
    "undo-not-an-import",
    "undo-already-reversed",
    "undo-refused",
    # French spreadsheets: tests/test_french_spreadsheets.py
    "csv-utf16",
    "csv-is-a-workbook",
    "csv-mixed-encodings",
    "csv-duplicate-column",
    "csv-amount-ambiguous",
    "csv-bad-date",
    "csv-date-short-year",
    "csv-date-month-first",
    "export-xlsx-needs-file",
)
# the pull-request gate needs commits by several authors, signatures, merges:
# tests/test_gate.py, test_gate_attacks.py, test_ci_safety.py, test_closed_periods.py
GATE = (
    "gate-unknown-author",
    "gate-protected-file",
    "gate-entry-in-main",  # tests/test_fava.py
    "gate-not-payer",
    "gate-not-creditor",
    "gate-treasurer-only",
    "gate-entry-edited",
    "gate-entry-removed",
    "gate-closed-month",
    "gate-unsigned",
    "gate-uncommitted",
    "closed-month-entry-added",
    "closed-month-entry-removed",
    "closed-month-changed",
    "month-closed-twice",
    "close-bad-month",
    "close-no-fingerprint",
    "unknown-revision",
    "bad-range",
    "gate-base-unreadable",
    "gate-options",
    "revision-unsafe-file",
    "gate-author-not-active",
    "gate-signature-not-authors",
    "write-gate-not-payer",
    "write-gate-not-creditor",
    "write-gate-treasurer-only",
    "write-gate-protected-file",
    "ci-source-bad",
    "ci-source-no-commit",
    "ci-source-index",
    "ci-source-editable",
    "ci-source-local",
    "ci-source-secret",
    "staged-options",
    "gate-not-utf8",
    "gate-loader-directive",
    "gate-loader-option",
    "gate-loader-lines-changed",
    "gate-not-regular",
    "gate-not-a-journal-file",
    "gate-code-file",
    "gate-bad-file-name",
    "gate-unexplained",
    "gate-unexplained-file",
)
ELSEWHERE = frozenset((*FILES, *JOURNAL, *ENVIRONMENT, *COMMANDS, *CSV, *GATE))


@functools.cache
def _french() -> Mapping[str, str]:
    """The French words of the .po, read once per session (a test per code reads them)."""
    with PO.open("rb") as handle:
        words = {m.id: m.string for m in read_po(handle) if m.id and isinstance(m.id, str)}
    return MappingProxyType(words)


def _french_plurals() -> dict[tuple[str, str], tuple[str, ...]]:
    with PO.open("rb") as handle:
        return {m.id: tuple(m.string) for m in read_po(handle) if isinstance(m.id, tuple)}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_code_has_a_reproducer_or_a_reason() -> None:
    reproduced = _reproduced()
    codes = set(messages.MESSAGES)

    assert codes - reproduced - ELSEWHERE == set(), "codes without a reproducer"
    assert reproduced & ELSEWHERE == set(), "reproduced here: remove from the allow-list"
    assert (reproduced | ELSEWHERE) - codes == set(), "no such code any more"


@pytest.mark.parametrize("code", sorted(messages.MESSAGES))
def test_every_code_has_french_words_with_the_same_placeholders(code: str) -> None:
    french = _french()
    for english in messages.MESSAGES[code]:
        if not english:
            continue
        assert french.get(english), f"{code}: no French for {english!r}"
        assert placeholders(french[english]) == placeholders(english), code


def test_every_text_extracted_is_translated() -> None:
    """The table texts, and every `_()` of the code (the .pot Babel extracts)."""
    french = _french()
    with POT.open("rb") as handle:
        extracted = [m.id for m in read_po(handle) if m.id]
    for english in [*messages.table_texts(), *extracted]:
        if isinstance(english, tuple):  # ngettext: every French form, the same placeholders
            forms = _french_plurals()[english]
            assert all(forms), f"no French for {english!r}"
            assert all(placeholders(f) == placeholders(english[1]) for f in forms), english
            continue
        assert isinstance(english, str)
        assert french.get(english), f"no French for {english!r}"
        assert placeholders(french[english]) == placeholders(english), english


def test_the_template_is_up_to_date() -> None:
    """Every table text is in the .pot (run the pybabel extract line of babel.cfg)."""
    with POT.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    assert set(messages.table_texts()) <= extracted


def test_a_missing_placeholder_fails_a_strict_rendering() -> None:
    with pytest.raises(KeyError, match="balance"):
        messages.words("below-floor", {"member": "alice"}, strict=True)
    # not strict, as users see it: the placeholder is shown as it is
    assert "{balance}" in messages.words("below-floor", {"member": "alice"})[0]


def test_an_unshown_fact_fails_a_strict_rendering() -> None:
    with pytest.raises(KeyError, match="facts not shown"):
        messages.words("self-trade", {"member": "alice", "amount": Decimal("3.00")}, strict=True)


def test_derived_words_count_as_shown() -> None:
    message, _fix = messages.words(
        "unknown-member", {"member": "alcie", "suggestion": "alice"}, strict=True
    )
    assert message == "'alcie' is not a member (did you mean 'alice'?)"


def test_typed_facts_are_written_as_french_writes_them(french: None) -> None:
    problem = Problem(
        "below-floor",
        "journal/2026/11/alice.beancount",
        4,
        {
            "member": "alice",
            "balance": Decimal("-1520.50"),
            "limit": Decimal("-500.00"),
            "currency": "SEL",
            "date": datetime.date(2026, 10, 31),
        },
    )

    assert messages.problem_line(problem) == (
        "journal/2026/11/alice.beancount:4: erreur : le solde de alice serait de "
        "-1\u202f520,50 SEL à la fin du 31 octobre 2026, sous son plancher de -500,00 SEL ; "
        "baissez le montant, ou relevez le plancher dans members.yaml"
    )


def test_lists_are_joined_as_each_language_joins_them(french: None) -> None:
    assert messages.render_value(("alice", "bob", "tresa")) == "alice, bob et tresa"
    assert messages.render_value(()) == "aucun"
    i18n.set_language("en")
    assert messages.render_value(("alice", "bob", "tresa")) == "alice, bob, tresa"
    assert messages.render_value(()) == "none"


def test_without_a_compiled_catalogue_the_po_is_compiled_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, french: None
) -> None:
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "coopledger.po").write_bytes(PO.read_bytes())  # no .mo beside it
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    monkeypatch.setattr(i18n, "_catalogues", {})

    assert i18n._("none") == "aucun"


def test_without_any_catalogue_coopledger_speaks_english_and_says_so(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    french: None,
) -> None:
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)  # neither .mo nor .po
    monkeypatch.setattr(i18n, "_catalogues", {})
    monkeypatch.setattr(i18n._state, "warned", False)

    assert i18n._("none") == "none"
    assert "the fr catalogue cannot be read" in capsys.readouterr().err
    assert isinstance(i18n.catalogue("fr"), gettext.NullTranslations)


@pytest.mark.parametrize(
    ("option", "rules", "environ", "expected"),
    [
        (None, None, {}, "en"),
        (None, None, {"LANG": "fr_FR.UTF-8"}, "fr"),
        (None, None, {"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),  # LC_ALL decides
        (None, None, {"LC_MESSAGES": "fr_CA", "LANG": "en_US"}, "fr"),
        (None, "en", {"LANG": "fr_FR.UTF-8"}, "en"),  # rules.yaml before the locale
        ("fr", "en", {}, "fr"),  # --lang before everything
        (None, None, {"LANG": "de_DE.UTF-8"}, "en"),
    ],
)
def test_which_language(
    option: str | None, rules: str | None, environ: dict[str, str], expected: str
) -> None:
    assert i18n.choose(option, rules, environ) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nlanguage: fr\n", "fr"),
        ("language: 'fr'  # French\n", "fr"),
        ("name: x\n  language: fr\n", None),  # not at the top level
        ("language: de\n", None),
        ("name: x\n", None),
    ],
)
def test_language_of_rules_yaml(tmp_path: Path, text: str, expected: str | None) -> None:
    (tmp_path / "rules.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "journal").mkdir()

    assert i18n.language_in_rules(tmp_path / "journal") == expected


def test_the_language_is_not_read_through_a_link_nor_from_a_whole_huge_file(
    tmp_path: Path,
) -> None:
    elsewhere = tmp_path / "elsewhere.yaml"
    elsewhere.write_text("language: fr\n", encoding="utf-8")
    coop = tmp_path / "coop"
    coop.mkdir()
    (coop / "rules.yaml").symlink_to(elsewhere)

    assert i18n.language_in_rules(coop) is None

    (coop / "rules.yaml").unlink()
    (coop / "rules.yaml").write_text("#" * 70000 + "\nlanguage: fr\n", encoding="utf-8")
    assert i18n.language_in_rules(coop) is None  # beyond the head read
