"""Every `dxspots` subcommand's --help says what it does and what each option is for."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator

from dxspots.cli import EXPORT_LISTS, build_parser
from tests.conftest import REPO


def commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser, str | None]]:
    """Every (sub)command: its words, its parser, its one-line summary."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            summaries = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*path, name), sub, summaries.get(name)
                yield from commands(sub, (*path, name))


def described(text: str | None) -> bool:
    """Words, not a placeholder: three or more of them, and no pointer elsewhere instead."""
    return bool(text) and len(str(text).split()) >= 3 and "as the API's parameter" not in str(text)


def test_every_subcommand_and_option_is_described() -> None:
    found = list(commands(build_parser()))
    names = {" ".join(path) for path, _, _ in found}
    assert {"up", "export", "cty update", "cty reenrich", "db migrate", "simulate"} <= names
    for path, parser, summary in found:
        where = f"dxspots {' '.join(path)}"
        assert described(summary), f"{where}: no one-line summary"
        assert parser.description and len(parser.description) > len(summary or "") + 20, (
            f"{where}: its --help has no description beyond the summary"
        )
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            name = "/".join(action.option_strings) or action.dest
            assert described(action.help), f"{where} {name}: not described ({action.help!r})"


def test_export_filters_say_what_they_filter() -> None:
    export = dict((" ".join(p), parser) for p, parser, _ in commands(build_parser()))["export"]
    helps = {a.dest: a.help or "" for a in export._actions}
    for name in EXPORT_LISTS:
        assert helps[name].endswith("repeatable or comma-separated"), name
    assert "band of the spot, e.g. 20m" in helps["band"]
    assert "continent" in helps["spotter_continent"] and "AF, AN, AS, EU" in helps["dx_continent"]


def test_help_runs_as_a_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dxspots.cli", "cty", "reenrich", "--help"],
        capture_output=True, text=True, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert "Spots stored while there was no country file" in " ".join(result.stdout.split())
    assert "--restart" in result.stdout
