"""A language is its catalogue: adding one is adding a file, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from coopledger import i18n


def test_the_shipped_languages_are_english_and_french():
    assert i18n.LANGUAGES == ("en", "fr")


def test_a_new_catalogue_file_is_a_new_language(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for language in ("fr", "de"):
        folder = tmp_path / language / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "coopledger.po").write_text('msgid ""\nmsgstr ""\n', encoding="utf-8")
    (tmp_path / "it" / "LC_MESSAGES").mkdir(parents=True)  # a folder without a catalogue
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    assert i18n._catalogued() == ("en", "de", "fr")
