"""The group loads its commands lazily: ``import protokit.cli`` imports no command module and no
subsystem, a command's module is imported when that command is resolved, and the one command
table (``protokit.cli.app.COMMANDS``) lists every command the ``*_commands`` modules define."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import click
import pytest

import protokit.cli
from protokit.cli import cli
from protokit.cli.app import COMMANDS

# What a command may need but starting the CLI must not: command modules, subsystems, heavy
# third-party libraries.
NOT_AT_STARTUP = (
    "protokit.cli.check_commands",
    "protokit.cli.conversation_commands",
    "protokit.cli.dist_commands",
    "protokit.cli.evolution_commands",
    "protokit.cli.gen_commands",
    "protokit.cli.scaffold_commands",
    "protokit.check",
    "protokit.conversations",
    "protokit.dist",
    "protokit.evolution",
    "protokit.gen",
    "protokit.scaffold",
    "protokit.tools",
    "google.protobuf",
    "jinja2",
)


def _modules_loaded_by(code: str) -> list[str]:
    """The modules a fresh interpreter has imported after running ``code``."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout.split()


def _within(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_importing_the_cli_imports_no_command_module_or_subsystem() -> None:
    loaded = _modules_loaded_by("from protokit.cli import cli")
    assert "protokit.cli.app" in loaded
    assert _within(loaded, NOT_AT_STARTUP) == []


def test_importing_the_console_script_loads_no_click() -> None:
    """``main`` lets ``check`` start buf before Click loads; the group loads on first use."""
    loaded = _modules_loaded_by("from protokit.cli import main")
    assert _within(loaded, ("click", "protokit.cli.app", *NOT_AT_STARTUP)) == []


def test_resolving_gen_imports_gen_commands_but_not_the_generation_pipeline() -> None:
    loaded = _modules_loaded_by(
        "from protokit.cli import cli\nimport click\ncli.get_command(click.Context(cli), 'gen')"
    )
    assert "protokit.cli.gen_commands" in loaded
    assert _within(loaded, ("protokit.gen.pipeline", "jinja2", "google.protobuf")) == []


@pytest.mark.parametrize("name", cli.list_commands(click.Context(cli)))
def test_every_listed_command_resolves_to_a_command_of_that_name(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert isinstance(command, click.Command)
    assert command.name == name


def test_the_command_table_lists_every_command_the_command_modules_define() -> None:
    defined: dict[str, str] = {}
    for info in pkgutil.iter_modules(protokit.cli.__path__):
        if not info.name.endswith("_commands"):
            continue
        module = importlib.import_module(f"protokit.cli.{info.name}")
        for attribute, value in vars(module).items():
            if isinstance(value, click.Command) and value.name is not None:
                defined[value.name] = f"{module.__name__}:{attribute}"
    assert dict(COMMANDS) == defined


def test_an_unknown_command_resolves_to_nothing() -> None:
    assert cli.get_command(click.Context(cli), "frobnicate") is None


def test_a_gen_with_nothing_to_do_loads_no_compiler_template_or_protobuf(
    tiny_ws: Callable[..., Path],
) -> None:
    root = tiny_ws()
    run = (
        "from protokit.cli import main\n"
        "try:\n    main(['gen', '--root', {root!r}])\nexcept SystemExit:\n    pass\n"
    )
    _modules_loaded_by(run.format(root=str(root)))  # the first run renders and records
    loaded = _modules_loaded_by(run.format(root=str(root)))
    assert "protokit.gen.rerun" in loaded  # the run did get as far as the snapshot
    heavy = (
        "protokit.gen.stages",
        "protokit.tools.image",
        "jinja2",
        "google.protobuf",
        "importlib.metadata",
    )
    assert _within(loaded, heavy) == []
