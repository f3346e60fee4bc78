"""help: the guides (docs/*.md, shipped in the package) in the terminal."""

from __future__ import annotations

import sys

import typer

from coopledger.cli.common import app, out
from coopledger.i18n import _


@app.command("help")
def help_command(
    topic: str = typer.Argument(None, metavar="[TOPIC]", help="A guide: rules, volunteers..."),
) -> None:
    """Read a guide (rules.yaml, the journal format, pull requests...); without TOPIC, list them."""
    from coopledger.language.helptopics import topic_text, topics

    if topic is None:
        out.print(_("Guides (coopledger help TOPIC):"), markup=False)
        names = topics()
        width = max(len(name) for name in names)
        for name, title in names.items():
            out.print(f"  {name:<{width}}  {title}", markup=False)
        out.print(_("Each command's options: coopledger COMMAND --help"), markup=False)
        return
    sys.stdout.write(topic_text(topic))
