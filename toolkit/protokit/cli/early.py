"""What ``protokit`` does before Click and the commands load: ``protokit check`` starts buf
format and buf lint (its longest step) from the raw arguments, so they run while the rest of
protokit is imported.

Only a command line this module fully understands starts anything: ``check`` followed by its
own options. Anything else (``--help``, an unknown option, a workspace that does not open) starts
nothing here, and the command then runs, or fails, exactly as it would without this.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# check's options that take a value, and its flags (as check_commands.check declares them)
VALUED = ("--root", "--format", "--against")
FLAGS = ("--all-releases",)


def check_options(args: Sequence[str]) -> dict[str, str] | None:
    """The options of ``args`` when it is a ``check`` command line made only of check's own
    options (the last value of each, flags as ""); None for any other command line."""
    if not args or args[0] != "check":
        return None
    options: dict[str, str] = {}
    rest = list(args[1:])
    while rest:
        arg = rest.pop(0)
        name, equals, value = arg.partition("=")
        if name in VALUED and not equals:
            if not rest:
                return None
            value = rest.pop(0)
        elif not (name in VALUED or arg in FLAGS):
            return None
        options[name] = value
    return options


def start(args: Sequence[str]) -> bool:
    """Start check's buf format and buf lint when ``args`` is a check command line; whether
    they were started. Never raises: the command reports any problem itself."""
    options = check_options(args)
    if options is None:
        return False
    root = options.get("--root")
    try:
        from protokit.check.run import start_format_and_lint

        start_format_and_lint(Path(root) if root is not None else None, options.get("--against"))
    except Exception:  # the command opens the workspace again and says what is wrong
        return False
    return True


def forget() -> None:
    """Drop what ``start`` started and no check took (the command stopped before it ran)."""
    from protokit.check.run import forget_started

    forget_started()
