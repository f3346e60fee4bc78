"""One reproducer per error code, as hledger's test/errors: the command, what it
prints (the message and its remedy) and its exit status, in English and French.

Each case below is a cooperative in a known state, a command, and the code it
must be refused with. Its golden file `golden/<code>.<language>.txt` reads as
the catalogue of errors: regenerate them with UPDATE_GOLDEN=1, never by hand.
Messages are rendered strictly: a placeholder without a value, or a fact the
message does not show, fails the case. Nothing may be written or committed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from coopledger.language import messages
from tests.conftest import Coop, assert_golden

GOLDEN = Path(__file__).parent / "golden"


def _nothing(coop: Coop) -> None:
    pass


def _trades_near_the_floor(coop: Coop) -> None:
    assert coop.run("trade", "alice", "bob", "450", "--date", "2026-11-02").code == 0


def _two_problems(coop: Coop) -> None:
    coop.append(
        "journal/2026/11/alice.beancount",
        '\n2026-11-03 * "soupe"\n'
        "  Assets:Members:Alice  0.00 SEL\n  Assets:Members:Bob  0.00 SEL\n"
        '\n2026-11-04 * "pain"\n'
        "  Assets:Members:Alice  -3.005 SEL\n  Assets:Members:Bob  3.005 SEL\n",
    )
    coop.commit_all()


def _unknown_rules_key(coop: Coop) -> None:
    coop.append("rules.yaml", "curency_plural: grains\n")
    coop.commit_all()


def _bad_language(coop: Coop) -> None:
    coop.append("rules.yaml", "language: de\n")
    coop.commit_all()


def _fava_extension_of_another_module(coop: Coop) -> None:
    coop.append("journal/main.beancount", '2000-01-01 custom "fava-extension" "antigravity"\n')
    coop.commit_all()


@dataclass(frozen=True)
class Case:
    code: str
    args: tuple[str, ...]
    status: int
    setup: Callable[[Coop], None] = _nothing
    languages: tuple[str, ...] = ("en", "fr")  # a form ambiguous in one language only


CASES = [
    Case("unknown-member", ("trade", "alcie", "bob", "10", "--date", "2026-11-02"), 1),
    Case("same-member", ("trade", "alice", "alice", "10", "--date", "2026-11-02"), 1),
    Case("amount-not-a-number", ("trade", "alice", "bob", "dix"), 1),
    Case("amount-not-positive", ("trade", "alice", "bob", "0"), 1),
    Case("amount-too-precise", ("trade", "alice", "bob", "12.505"), 1),
    Case("amount-ambiguous", ("trade", "alice", "bob", "1,000"), 1),
    Case("amount-too-large", ("trade", "alice", "bob", "10000000000000000"), 1),
    Case("bad-date", ("trade", "alice", "bob", "10", "--date", "2026-13-01"), 1),
    Case(
        "date-ambiguous",
        ("trade", "alice", "bob", "10", "--date", "10/11/2026"),
        1,
        languages=("en",),  # in French, the day comes first: 10 November
    ),
    Case("date-beyond-horizon", ("trade", "alice", "bob", "10", "--date", "2027-06-01"), 1),
    Case("bad-choice", ("report", "2026-11", "--format", "pdf"), 1),
    Case(
        "trade-refused",
        ("trade", "alice", "bob", "100", "--date", "2026-11-03"),
        1,
        _trades_near_the_floor,
    ),
    Case("member-exists", ("member", "add", "alice", "--name", "Alice"), 1),
    Case("bad-member-id", ("member", "add", "Alice!", "--name", "Alice"), 1),
    Case("bad-month", ("report", "novembre"), 1),
    Case("zero-amount", ("check",), 1, _two_problems),
    Case("yaml-unknown-key", ("check",), 1, _unknown_rules_key),
    Case("yaml-bad-choice", ("check",), 1, _bad_language),
    Case("fava-runs-code", ("check",), 1, _fava_extension_of_another_module),
]

REPRODUCED = frozenset(case.code for case in CASES)


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render every message strictly (a missing placeholder or an unshown fact fails)."""
    monkeypatch.setattr(messages, "_words", functools.partial(messages._words, strict=True))


def files_of(coop: Coop) -> dict[str, bytes]:
    return {
        str(p.relative_to(coop.root)): p.read_bytes()
        for p in sorted(coop.root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(coop.root).parts
    }


def transcript(coop: Coop, case: Case, language: str) -> str:
    result = coop.run("--lang", language, *case.args)
    assert result.code == case.status, result.text
    shown = " ".join(case.args)
    return f"$ coopledger {shown}\n{result.out}{result.err}exit {result.code}\n"


def golden(name: str, text: str) -> None:
    assert_golden(GOLDEN / name, text)


@pytest.mark.parametrize("case", CASES, ids=[case.code for case in CASES])
def test_reproducer(coop: Coop, case: Case, strict: None) -> None:
    case.setup(coop)
    before, commits = files_of(coop), coop.log()

    said = {language: transcript(coop, case, language) for language in case.languages}

    for language, text in said.items():
        golden(f"{case.code}.{language}.txt", text)
    opening = messages.MESSAGES[case.code][0].split("{")[0].strip(" '")
    assert opening in said["en"], f"not refused with {case.code}"
    if len(said) == 2:
        assert said["en"] != said["fr"]  # what a user reads changed language
    assert files_of(coop) == before and coop.log() == commits
