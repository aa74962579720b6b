"""``protokit doctor``: the toolchain in use and what is wrong with it."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict

import click

from protokit.core.errors import ExitCode
from protokit.tools.toolchain import read_toolchain


def run_doctor(output_format: str) -> int:
    tools = read_toolchain()
    problems = tools.problems()
    if output_format == "json":
        click.echo(
            json.dumps(
                {**asdict(tools), "python": sys.version.split()[0], "problems": problems}, indent=2
            )
        )
    else:
        rows = [
            ("python", sys.version.split()[0]),
            ("buf", tools.buf),
            ("grpcio-tools", tools.grpcio_tools or "not installed"),
            ("  emits protobuf gencode", tools.gencode or "unknown"),
            ("protobuf runtime", tools.protobuf or "not installed"),
            ("grpcio", tools.grpcio or "not installed"),
        ]
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            click.echo(f"{name.ljust(width)}  {value}")
        for problem in problems:
            click.echo(f"problem: {problem}", err=True)
        if not problems:
            click.echo("ok: generated code will import on this runtime", err=True)
    return ExitCode.FINDINGS if problems else ExitCode.CLEAN
