"""What buf prints, read into protokit's terms: a configuration failure, the located compile
errors of a tree that does not compile (buf's and protoc's text, buf's JSON), and the findings
of ``--error-format json``. ``tools.buf`` runs buf; this module only reads."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from protokit.core.errors import ProtokitError
from protokit.core.findings import Finding
from protokit.tools.process import command_text, first_line, json_lines

__all__ = [
    "COMPILE_ERROR_LINE",
    "CompileError",
    "compile_error_of",
    "compile_failure",
    "config_error",
    "parse_compile_errors",
    "parse_json_findings",
]

_YAML_LINE = re.compile(r"line (\d+): (.*)")
_DECODE = re.compile(r"decode (\S+\.yaml): (.*)", re.S)


def config_error(stderr: str, cwd: Path, args: Sequence[str]) -> ProtokitError:
    """Turn buf's exit-1 failure text (bad config, bad input) into one clear protokit error."""
    text = stderr.strip()
    text = text.removeprefix("Failure: ").strip()
    decode = _DECODE.search(text)
    if decode:
        config_file, detail = decode.group(1), decode.group(2)
        line_match = _YAML_LINE.search(detail)
        if line_match:
            return ProtokitError(
                f"invalid buf configuration: {line_match.group(2).strip()}",
                path=config_file,
                line=int(line_match.group(1)),
            )
        detail = " ".join(part.strip() for part in detail.splitlines() if part.strip())
        return ProtokitError(f"invalid buf configuration: {detail}", path=config_file)
    compile_error = parse_compile_errors(text)
    if compile_error is not None:
        return compile_error
    return ProtokitError(f"`{command_text('buf', args)}` failed: {first_line(text)}")


COMPILE_ERROR_LINE = re.compile(
    r"^(?P<path>[^:\s][^:]*\.proto):(?P<line>\d+):(?P<col>\d+):\s*(?P<msg>.*)$"
)
"""A located compile error, ``file.proto:line:col: message``, as buf and protoc print them."""


@dataclass(frozen=True)
class CompileError:
    """One error of a tree that does not compile, as buf or protoc located it."""

    message: str
    path: str | None = None
    line: int | None = None
    column: int | None = None


def compile_error_of(item: Mapping[str, object]) -> CompileError:
    """A compile error from one entry of buf's JSON output (``path``, ``start_line``,
    ``start_column``, ``message``); a place that is not one is left out."""
    path = item.get("path")
    line, column = _number(item.get("start_line")), _number(item.get("start_column"))
    located = isinstance(path, str) and bool(path)
    return CompileError(
        str(item.get("message", "does not compile")).strip()[:500] or "does not compile",
        path if isinstance(path, str) and path else None,
        (line or None) if located else None,
        (column or None) if located else None,
    )


def compile_failure(errors: Sequence[CompileError]) -> ProtokitError:
    """One line for a tree that does not compile (``errors``: at least one): the first error,
    located, and when there are more, how many, in how many files, and where they all are."""
    unique = list(dict.fromkeys(errors))
    first = unique[0]
    message = first.message
    if len(unique) > 1:
        files = len({e.path for e in unique if e.path}) or 1
        message += (
            f" (the first of {len(unique):,} compile errors in {files:,} "
            f"{'file' if files == 1 else 'files'}; `buf build` lists them all)"
        )
    return ProtokitError(message, path=first.path, line=first.line, column=first.column)


def parse_compile_errors(text: str) -> ProtokitError | None:
    """The ``file.proto:line:col:message`` compile errors in buf's or protoc's text output, as
    ``compile_failure`` tells them; None when there is none."""
    errors = [
        CompileError(
            match.group("msg").strip(),
            match.group("path"),
            int(match.group("line")),
            int(match.group("col")),
        )
        for line in text.splitlines()
        if (match := COMPILE_ERROR_LINE.match(line.strip()))
    ]
    return compile_failure(errors) if errors else None


def parse_json_findings(stdout: bytes, source: str) -> list[Finding]:
    """Parse ``--error-format json`` output into findings.

    ``COMPILE`` entries mean the module does not build at all: that is an error (the first,
    with how many there are), not findings.
    """
    findings: list[Finding] = []
    broken: list[CompileError] = []
    for item in json_lines(stdout, what=source):
        rule = str(item.get("type", "UNKNOWN"))
        path = str(item.get("path", ""))
        # An element with no place in the current tree (a deleted file) comes without a path;
        # buf still says 1:1, which would print as a place.
        line = _number(item.get("start_line")) if path else 0
        column = _number(item.get("start_column")) if path else 0
        message = str(item.get("message", "")).strip()
        if rule == "COMPILE":
            broken.append(compile_error_of(item))
            continue
        findings.append(
            Finding(
                path=path,
                line=line,
                column=column,
                rule=rule,
                message=message,
                source=source,
                end_line=(_number(item.get("end_line")) or None) if path else None,
                end_column=(_number(item.get("end_column")) or None) if path else None,
            )
        )
    if broken:
        raise compile_failure(broken)
    return findings


def _number(value: object) -> int:
    """A line or column from tool JSON: a small non-negative int, else 0 (unknown)."""
    return value if isinstance(value, int) and 0 <= value < 10**9 else 0
