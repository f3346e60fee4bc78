"""Counts in words: '1 error', '2 errors', never 'error(s)', in English and French."""

from __future__ import annotations

from coopledger.language.words import member_count, problem_counts, trade_count, warning_count


def test_the_summary_of_check_counts_in_english() -> None:
    assert problem_counts(1, 0) == "1 error, 0 warnings"
    assert problem_counts(2, 1) == "2 errors, 1 warning"
    assert (member_count(1), trade_count(1), warning_count(3)) == (
        "1 member",
        "1 trade",
        "3 warnings",
    )


def test_the_summary_of_check_counts_in_french(french: None) -> None:
    assert problem_counts(1, 0) == "1 erreur, 0 avertissement"
    assert problem_counts(2, 1) == "2 erreurs, 1 avertissement"
    assert (member_count(1), trade_count(2)) == ("1 membre", "2 échanges")
