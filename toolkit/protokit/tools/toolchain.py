"""The versions of the tools protokit drives, read from the tools themselves.

grpcio-tools emits gencode for the protobuf it bundles, and generated modules refuse to import on
an older runtime. The gencode version is read from real generated output, not guessed from the
grpcio-tools version.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from protokit.core.errors import ProtokitError, ToolMissingError
from protokit.tools.buf import buf_version
from protokit.tools.process import Spares, Started, first_line, start_tool

_GENCODE_HEADER = re.compile(r"^# Protobuf Python Version: (\S+)$", re.M)
_PROBE_PROTO = 'syntax = "proto3";\npackage protokit.probe;\nmessage Probe {}\n'


def dist_version(name: str) -> str | None:
    """The installed version of distribution ``name``, as ``importlib.metadata.version`` gives
    it: read from the name of its ``{name}-{version}.dist-info`` folder (the layout of an
    installed project) in the first ``sys.path`` folder that has one. Only when that cannot
    say (no such folder, or two in one place) is ``importlib.metadata`` loaded, which costs
    a short command a sixth of its time."""
    wanted = _normalized(name)
    for versions in _dist_info_versions():
        found = versions.get(wanted)
        if found is not None and len(found) == 1 and found[0] is not None:
            return found[0]
        if found is not None:
            break
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


@cache
def _dist_info_versions() -> list[dict[str, list[str | None]]]:
    """Per folder of ``sys.path`` (in order): normalized distribution name → the versions its
    ``.dist-info`` folders name (None for an ``.egg-info``, whose version is inside it)."""
    found: list[dict[str, list[str | None]]] = []
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:  # a zip file or a folder that is gone: importlib.metadata looks there
            continue
        versions: dict[str, list[str | None]] = {}
        for folder in names:
            stem, dot, kind = folder.rpartition(".")
            if dot and kind in ("dist-info", "egg-info"):
                project, _, version = stem.partition("-")
                known = version if kind == "dist-info" and version else None
                versions.setdefault(_normalized(project), []).append(known)
        found.append(versions)
    return found


def parse_version(text: str) -> tuple[int, ...]:
    """A release tuple from a version string: ``7.35.1`` → (7, 35, 1); suffixes are dropped."""
    parts: list[int] = []
    for piece in text.split("."):
        digits = re.match(r"[0-9]{1,18}", piece)
        if digits is None:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


_LAUNCHER = """\
import os, sys
from grpc_tools import protoc
given = sys.stdin.buffer.read()
if not given:
    sys.exit(0)
cwd, *args = given.decode("utf-8", "surrogateescape").split("\\0")
os.chdir(cwd)
include = protoc._get_resource_file_name("grpc_tools", "_proto")
sys.exit(protoc.main([protoc.__file__, *args, "-I" + include]))
"""
"""``python -m grpc_tools.protoc``, but loaded before its arguments exist: they come on stdin
(the folder to run in first, NUL-separated), and grpcio-tools' own include folder is added
last, as its ``__main__`` does. ``-P``: the folder it starts in is not on ``sys.path``."""


def _start_protoc() -> Started:
    if importlib.util.find_spec("grpc_tools") is None:
        raise ToolMissingError(
            "grpcio-tools is not installed; install it with `pip install grpcio-tools`"
        )
    argv = [sys.executable, "-P", "-c", _LAUNCHER]
    return start_tool(
        "protoc", argv, cwd=Path(tempfile.gettempdir()), stdin=True, label=PROTOC_LABEL
    )


PROTOC_LABEL = "python -m grpc_tools.protoc"

PROTOC = Spares(_start_protoc)
"""protoc processes: ``with PROTOC.ahead(n):`` starts ``n`` while the caller prepares their
work; ``run_protoc`` takes them first."""


def run_protoc(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run grpcio-tools' protoc in ``cwd`` with its bundled includes (in a process started
    ahead, if one is waiting)."""
    given = "\0".join([str(cwd.resolve()), *args]).encode("utf-8", "surrogateescape")
    proc = PROTOC.take().finish(given)
    return subprocess.CompletedProcess(
        proc.args,
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


@cache
def gencode_version() -> str:
    """The protobuf gencode version grpcio-tools writes, read from a probe it generates."""
    with tempfile.TemporaryDirectory(prefix="protokit-probe-") as tmp:
        folder = Path(tmp)
        (folder / "probe.proto").write_text(_PROBE_PROTO, encoding="utf-8")
        proc = run_protoc(["-I.", "--python_out=.", "probe.proto"], folder)
        out = folder / "probe_pb2.py"
        if proc.returncode != 0 or not out.is_file():
            raise ProtokitError(
                f"grpcio-tools could not generate a probe file: {first_line(proc.stderr)}"
            )
        match = _GENCODE_HEADER.search(out.read_text(encoding="utf-8", errors="replace"))
    if match is None:
        raise ProtokitError("grpcio-tools output carries no 'Protobuf Python Version' header")
    return match.group(1)


def gencode_of(source: bytes) -> str | None:
    """The "Protobuf Python Version" a generated ``_pb2.py`` module declares, if it has one."""
    match = _GENCODE_HEADER.search(source.decode("utf-8", "replace"))
    return match.group(1) if match else None


@dataclass(frozen=True)
class Toolchain:
    buf: str
    grpcio_tools: str | None
    grpcio: str | None
    protobuf: str | None
    gencode: str | None

    def problems(self) -> list[str]:
        """Mismatches that would break generated code, each naming its fix."""
        found: list[str] = []
        if self.grpcio_tools is None:
            found.append("grpcio-tools is not installed; fix: pip install grpcio-tools")
        if self.grpcio is None:
            found.append("grpcio is not installed; fix: pip install grpcio")
        if self.protobuf is None:
            found.append("protobuf is not installed; fix: pip install protobuf")
        if self.gencode and self.protobuf:
            found.extend(runtime_problems(self.gencode, self.protobuf))
        return found


def runtime_problems(gencode: str, runtime: str) -> list[str]:
    gen, run = parse_version(gencode), parse_version(runtime)
    if run < gen:
        return [
            f"grpcio-tools emits protobuf {gencode} gencode but the installed runtime is "
            f"protobuf {runtime}: generated modules will refuse to import; "
            f'fix: pip install "protobuf>={gencode}" (or pin grpcio-tools to a release '
            f"that bundles protobuf {runtime})"
        ]
    return []


def read_toolchain() -> Toolchain:
    tools = dist_version("grpcio-tools")
    gencode: str | None = None
    if tools is not None:
        try:
            gencode = gencode_version()
        except (ProtokitError, OSError):
            gencode = None
    return Toolchain(
        buf=buf_version(),
        grpcio_tools=tools,
        grpcio=dist_version("grpcio"),
        protobuf=dist_version("protobuf"),
        gencode=gencode,
    )
