"""coopledger's page in fava, in a real browser: headless Chromium.

fava runs on a copy of the root demo (SEL du Canal) on a free port of
localhost; Chromium loads the page, runs fava's own scripts and hands back the
document (`--dump-dom`); every figure the page shows must equal what
`coopledger report --json` and `coopledger balances --json` say.

CI installs Chromium (`.ci/run`: the Debian packages chromium and
chromium-driver); without it these tests are skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from coopledger.model.journal import MAIN_FILE
from tests.test_fava import assert_page_matches_report, figures_of

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (Debian: apt-get install chromium chromium-driver)",
)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A copy of the root demo, committed in a repository of its own."""
    copy = tmp_path / "demo"
    copy.mkdir()
    for name in ("members.yaml", "rules.yaml"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "journal", copy / "journal", ignore=shutil.ignore_patterns(".*"))
    for args in (("init", "-q"), ("add", "."), ("commit", "-qm", "the demo")):
        subprocess.run(
            ["git", "-c", "user.name=Demo", "-c", "user.email=demo@example.org", *args],
            cwd=copy,
            check=True,
        )
    return copy


@pytest.fixture
def fava_server(demo: Path) -> Iterator[str]:
    """fava serving the demo on localhost; its base address."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from fava.cli import main; main()",
            *("--host", "127.0.0.1", "--port", str(port), str(demo / MAIN_FILE)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=5) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError):
                pass
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "fava did not start within a minute"
            time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def browsed(address: str) -> str:
    """The document of `address` once Chromium has run its scripts."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", address],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def coopledger_json(demo: Path, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "coopledger", "--dir", str(demo), *args, "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout))


def test_the_page_in_chromium_shows_the_figures_of_report_json(
    demo: Path, fava_server: str
) -> None:
    html = browsed(f"{fava_server}/sel-du-canal/extension/Coopledger/?month=2026-11")

    assert "svelte-" in html  # fava's own scripts ran: the page is what a member sees
    figures = figures_of(html)
    assert_page_matches_report(figures, coopledger_json(demo, "report", "2026-11"))
    assert figures[("coopledger-members", "claire", "name")] == "Claire Petit"
    balances = coopledger_json(demo, "balances")["balances"]
    for member, balance in balances.items():
        assert figures[("coopledger-balances", member, "balance")] == balance, member
    assert len(html.split('<g data-month="')) - 1 == 12  # the trend chart's twelve bars


def test_fava_opens_on_coopledgers_page(demo: Path, fava_server: str) -> None:
    html = browsed(f"{fava_server}/")

    figures = figures_of(html)
    assert_page_matches_report(figures, coopledger_json(demo, "report"))
