"""The help of every command and option in the reader's language.

typer builds the click commands from the English texts of the code (`help=` of
each option, each command's docstring). Babel extracts them from the command tree
itself (`coopledger.cli.help_catalogue`, named in babel.cfg), so the catalogue holds exactly what
`--help` shows; `in_language` translates a freshly built tree before click reads
the command line, and gives each command a help formatter that says click's own
words ("Usage:", "Options", "[required]", "Show this message and exit.") in the
reader's language too.

The language must be known before the tree is built, so `early_language` reads
it from the command line (`--lang`), then the rules.yaml of the cooperative
(`--dir`, `$COOPLEDGER_DIR` or the current folder), then the locale: the same
order as the global options' callback, which settles it again afterwards.

    >>> early_language(["--lang", "fr", "trade", "--help"], {})
    'fr'
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from coopledger import i18n
from coopledger.i18n import N_, _

if TYPE_CHECKING:  # typer vendors click (typer._click), apart from the click package
    from typer._click import Command, Context

# click's and typer's own words around the help (they are English in the code)
CLICK_WORDS = (  # extracted by Babel from the N_() calls
    N_("Usage:"),
    N_("{heading}:"),
    N_("COMMAND [ARGS]..."),
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
    N_("Show this message and exit."),
    N_("required"),
    N_("default: {default}"),
    N_("env var: {var}"),
)


def early_language(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language of this run, from the global options before the command name
    (`--lang`, `--dir`/`-C`), `$COOPLEDGER_DIR`, the cooperative's rules.yaml and
    the locale (`i18n.choose`). A value that is not a language is left for the
    options' callback to refuse."""
    lang: str | None = None
    directory = environ.get("COOPLEDGER_DIR") or None
    position = 0
    while position < len(argv):
        word = argv[position]
        if not word.startswith("-") or word == "--":
            break  # the command name: what follows is the command's
        value = argv[position + 1] if position + 1 < len(argv) else None
        name, equals, attached = word.partition("=")
        if equals:
            value = attached
        if name == "--lang":
            lang = value
        elif name in ("--dir", "-C"):
            directory = value
        position += 1 if equals or name not in ("--lang", "--dir", "-C", "--today") else 2
    if lang in i18n.LANGUAGES:
        return lang
    folder = Path(directory) if directory else Path.cwd()
    return i18n.choose(None, i18n.language_in_rules(folder.absolute()), environ)


def commands(root: Command, path: str = "coopledger") -> Iterator[tuple[str, Command]]:
    """Every command of the tree under `root`, with its path (`coopledger member add`)."""
    yield path, root
    children: Mapping[str, Command] = getattr(root, "commands", {})
    for name, child in children.items():
        yield from commands(child, f"{path} {name}")


def texts_of(command: Command) -> Iterator[str]:
    """The help texts a command shows: its own, its short one, its epilog, its options'."""
    for text in (command.help, command.short_help, command.epilog):
        if text:
            yield text
    for param in command.params:
        text = getattr(param, "help", None)
        if text:
            yield text


def help_texts(root: Command) -> list[str]:
    """Every help text of the tree, in order, once."""
    found = (text for _path, command in commands(root) for text in texts_of(command))
    return list(dict.fromkeys(found))


def command_tree(application: typer.Typer) -> Command:
    """The click command typer builds for `application` (English texts)."""
    return typer.main.get_command(application)


# (application, language, the one command built or "") -> its tree
_BUILT: dict[tuple[typer.Typer, str, str], Command] = {}
# commands that read the whole tree (the guides, shell completion): built whole
WHOLE_TREE = ("help", "completion")


def in_language(application: typer.Typer, command: str | None = None) -> Command:
    """The click command of `application`, its help in the reader's language:
    built once per language in a process (a click command keeps nothing of a
    run; `main` called again, as the tests do, reuses it).

    With `command` (the word after the global options), only that command (or
    group of commands) is built under the root when it names one: typer reads
    every option of every function to build the whole tree, which takes a warm
    `check` a tenth of its time. Any other word gets the whole tree (click then
    says what it is and suggests a command)."""
    only = _only(application, command) if command and command not in WHOLE_TREE else None
    key = (application, i18n.language(), command if only is not None and command else "")
    if key not in _BUILT:
        _BUILT[key] = _translated_tree(only or application)
    return _BUILT[key]


def _only(application: typer.Typer, name: str) -> typer.Typer | None:
    """`application` with only its command or group `name` (None: no such one)."""
    import copy

    commands = [
        info
        for info in application.registered_commands
        if info.callback is not None
        and (info.name or typer.main.get_command_name(info.callback.__name__)) == name
    ]
    groups = [info for info in application.registered_groups if info.name == name]
    if not commands and not groups:
        return None
    pruned = copy.copy(application)
    pruned.registered_commands, pruned.registered_groups = commands, groups
    return pruned


def _translated_tree(application: typer.Typer) -> Command:
    root = command_tree(application)
    if i18n.language() == i18n.DEFAULT:
        return root
    for _path, command in commands(root):
        command.help = _(command.help) if command.help else command.help
        command.short_help = _(command.short_help) if command.short_help else command.short_help
        command.epilog = _(command.epilog) if command.epilog else command.epilog
        for param in command.params:
            if getattr(param, "help", None):
                param.help = _(param.help)  # type: ignore[attr-defined]
        if getattr(command, "subcommand_metavar", None) == "COMMAND [ARGS]...":
            command.subcommand_metavar = _("COMMAND [ARGS]...")  # type: ignore[attr-defined]
        command.context_class = _translated_context(command.context_class)
    return root


def help_cell(text: str) -> str:
    """An option's help as click writes it, `help  [required; default: x]`, translated:
    the help (the help option's, which click adds, too) and the bracketed words."""
    body, extras = text, ""
    if text.endswith("]"):
        if text.startswith("[") and "  [" not in text:
            body, extras = "", text[1:-1]
        elif "  [" in text:
            body, _sep, extras = text.rpartition("  [")
            extras = extras[:-1]
    if not extras:
        return _(text)
    words = []
    for item in extras.split("; "):
        if item == "required":
            words.append(_("required"))
        elif item.startswith("default: "):
            words.append(_("default: {default}").format(default=item.removeprefix("default: ")))
        elif item.startswith("env var: "):
            words.append(_("env var: {var}").format(var=item.removeprefix("env var: ")))
        else:
            words.append(item)
    said = "[" + "; ".join(words) + "]"
    return f"{_(body)}  {said}" if body else said


class _Words:
    """click's help formatter, saying its words in the reader's language."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        words = _("Usage:") + " " if prefix is None else prefix
        super().write_usage(prog, args, words)  # type: ignore[misc]

    def write_heading(self, heading: str) -> None:
        indent = " " * self.current_indent  # type: ignore[attr-defined]
        said = _("{heading}:").format(heading=_(heading))
        self.write(f"{indent}{said}\n")  # type: ignore[attr-defined]

    def write_dl(self, rows: Sequence[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        translated = [(term, help_cell(text) if text else text) for term, text in rows]
        super().write_dl(translated, *args, **kwargs)  # type: ignore[misc]


_CONTEXTS: dict[type, type] = {}


def _translated_context(base: type[Context]) -> type[Context]:
    """`base` with a formatter that says click's words in the reader's language."""
    if base not in _CONTEXTS:
        formatter = type("TranslatedFormatter", (_Words, base.formatter_class), {})
        _CONTEXTS[base] = type("TranslatedContext", (base,), {"formatter_class": formatter})
    return _CONTEXTS[base]


# click's usage errors (typer vendors click: its messages are English f-strings),
# read back into a catalogue text and its values
CLICK_ERRORS = (
    (r"Missing argument '(?P<name>.+)'\.", N_("Missing argument '{name}'.")),
    (r"Missing option '(?P<name>.+)'\.", N_("Missing option '{name}'.")),
    (r"No such option: (?P<name>\S+)", N_("No such option: {name}")),
    (
        r"No such option: (?P<name>\S+) \(Possible options: (?P<choices>.+)\)",
        N_("No such option: {name} (Possible options: {choices})"),
    ),
    (
        r"No such option: (?P<name>\S+) Did you mean (?P<suggestion>.+)\?",
        N_("No such option: {name} Did you mean {suggestion}?"),
    ),
    (r"No such command '(?P<name>.+)'\.", N_("No such command '{name}'.")),
    (
        r"No such command '(?P<name>.+)'\. Did you mean (?P<suggestion>.+)\?",
        N_("No such command '{name}'. Did you mean {suggestion}?"),
    ),
    (
        r"Got unexpected extra argument(?:s|\(s\))? \((?P<values>.*)\)",
        N_("Got unexpected extra argument(s) ({values})"),
    ),
    (r"Option '(?P<name>.+)' requires an argument\.", N_("Option '{name}' requires an argument.")),
    (
        r"Option '(?P<name>.+)' does not take a value\.",
        N_("Option '{name}' does not take a value."),
    ),
    (
        r"'(?P<value>.*)' is not a valid (?:int range|integer|int)\.",
        N_("'{value}' is not a whole number."),
    ),
    (
        r"'(?P<value>.*)' is not a valid (?:float range|float)\.",
        N_("'{value}' is not a number."),
    ),
    (
        r"(?P<value>.+) is not in the range (?P<range>.+)\.",
        N_("{value} is not in the range {range}."),
    ),
    (
        r"'(?P<value>.*)' is not a valid boolean\. Recognized values: (?P<choices>.*)",
        N_("'{value}' is neither yes nor no. Recognized values: {choices}"),
    ),
    (
        r"'(?P<value>.*)' is not one of (?P<choices>.*)\.",
        N_("'{value}' is not one of {choices}."),
    ),
    (
        r"(?:File|Directory|Path) '(?P<path>.*)' does not exist\.",
        N_("'{path}' does not exist."),
    ),
    (r"(?:File|Directory|Path) '(?P<path>.*)' is a directory\.", N_("'{path}' is a folder.")),
    (r"(?:File|Directory|Path) '(?P<path>.*)' is a file\.", N_("'{path}' is a file.")),
    (
        r"(?:File|Directory|Path) '(?P<path>.*)' is not readable\.",
        N_("'{path}' cannot be read."),
    ),
    (r"Missing parameter: (?P<name>.+)", N_("Missing parameter: {name}")),
    (r"Missing command\.", N_("Missing command.")),
    (r"Invalid value: (?P<detail>.*)", N_("Invalid value: {detail}")),
    (
        r"Invalid value for '?(?P<name>.+?)'?: (?P<detail>.*)",
        N_("Invalid value for '{name}': {detail}"),
    ),
)
HINT = N_("Try '{command} {option}' for help.")


def click_message(message: str) -> str:
    """One of click's usage messages in the reader's language (as it is when unknown)."""
    for pattern, text in reversed(CLICK_ERRORS):  # the longer forms first
        found = re.fullmatch(pattern, message, flags=re.DOTALL)
        if found:
            values = found.groupdict()
            if "detail" in values:  # the value's own complaint
                values["detail"] = click_message(values["detail"])
            return _(text).format(**values)
    return message


def usage_error_text(error: Any) -> str:
    """What click's `UsageError.show` writes (the usage, a hint, the error), in the
    reader's language; `error` is one of typer's click exceptions."""
    said = _("{severity}: {text}").format(
        severity=_("error"), text=click_message(error.format_message())
    )
    ctx = getattr(error, "ctx", None)
    if ctx is None:
        return said + "\n"
    hint = ""
    if ctx.command.get_help_option(ctx) is not None:
        hint = _(HINT).format(command=ctx.command_path, option=ctx.help_option_names[0]) + "\n"
    return f"{ctx.get_usage()}\n{hint}\n{said}\n"
