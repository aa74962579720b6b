"""Class 6: tool output is parsed defensively. A buf, protoc or plugin that prints garbage,
bad JSON, JSON of the wrong shape or crashes is one error naming the tool and command."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.hardening.conftest import BIN, Case

FAKE_BUF = """\
#!{python}
import os, signal, sys
mode, real = {mode!r}, {real!r}
sub = sys.argv[1:3]
out = sys.stdout.buffer
if mode == "build-garbage" and sub[:1] == ["build"]:
    out.write(b"\\xff" * 40); sys.exit(0)
if mode == "build-empty" and sub[:1] == ["build"]:
    sys.exit(0)
if mode == "build-crash" and sub[:1] == ["build"]:
    os.kill(os.getpid(), signal.SIGSEGV)
if mode == "build-fails-binary" and sub[:1] == ["build"]:
    sys.stderr.buffer.write(b"\\xff\\xfe\\x00 broken\\n"); sys.exit(3)
if mode == "ls-files-text" and sub[:1] == ["ls-files"]:
    out.write(b"not json at all\\n"); sys.exit(0)
if mode == "ls-files-shape" and sub[:1] == ["ls-files"]:
    out.write(b"[1, 2, 3]\\n"); sys.exit(0)
if mode == "ls-files-keys" and sub[:1] == ["ls-files"]:
    out.write(b'{{"import_path": 5}}\\n'); sys.exit(0)
if mode == "modules-binary" and sub == ["config", "ls-modules"]:
    out.write(b"\\xff\\xfe\\n"); sys.exit(0)
if mode == "modules-shape" and sub == ["config", "ls-modules"]:
    out.write(b'{{"path": ["a"]}}\\n'); sys.exit(0)
if mode == "modules-nested" and sub == ["config", "ls-modules"]:
    out.write(b"[" * 100000 + b"\\n"); sys.exit(0)
if mode == "lint-text" and sub[:1] == ["lint"]:
    out.write(b"<html>oops</html>\\n"); sys.exit(100)
os.execv(real, [real, *sys.argv[1:]])
"""


NEW_SERVICE = ("new-service", "billing", "--unary", "GetInvoice")


@pytest.mark.parametrize(
    ("mode", "args", "named"),
    [
        ("build-garbage", ("check",), "buf build"),
        ("build-empty", ("check",), "buf build"),
        ("build-crash", ("check",), "buf build"),
        ("build-fails-binary", ("check",), "buf build"),
        ("ls-files-text", ("gen", "--force"), "buf ls-files"),
        ("ls-files-shape", ("check",), "buf ls-files"),
        ("ls-files-keys", ("gen", "--force"), "buf ls-files"),
        ("modules-binary", NEW_SERVICE, "buf config ls-modules"),
        ("modules-shape", NEW_SERVICE, "buf config ls-modules"),
        ("modules-nested", NEW_SERVICE, "buf config ls-modules"),
        ("lint-text", ("lint",), "buf lint"),
    ],
)
def test_buf_output_that_is_not_what_buf_prints_is_one_error(
    case: Case, tmp_path: Path, mode: str, args: tuple[str, ...], named: str
) -> None:
    fake = tmp_path / "buf"
    fake.write_text(
        FAKE_BUF.format(python=sys.executable, mode=mode, real=str(BIN / "buf")), encoding="utf-8"
    )
    fake.chmod(0o755)
    # a private cache, so buf really runs
    env = {"PROTOKIT_BUF": str(fake), "PROTOKIT_CACHE_DIR": str(tmp_path / "cache")}

    case.refused(case.run(*args, env=env), 1, named)


@pytest.mark.parametrize(
    ("package", "module", "body"),
    [
        ("grpc_tools", "protoc", "sys.stderr.buffer.write(b'\\xff\\xfe crash\\n'); sys.exit(1)"),
        ("grpc_tools", "protoc", "os.kill(os.getpid(), signal.SIGSEGV)"),
        ("mypy_protobuf", "main", "sys.stderr.buffer.write(b'\\xff boom\\n'); sys.exit(1)"),
        ("mypy_protobuf", "main", "sys.stdout.buffer.write(b'\\xff' * 64); sys.exit(0)"),
    ],
)
def test_a_crashing_protoc_or_plugin_is_one_error(
    case: Case, tmp_path: Path, package: str, module: str, body: str
) -> None:
    fake = tmp_path / "fake" / package
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / f"{module}.py").write_text(
        f"import os, signal, sys\n\n\ndef main():\n    {body}\n\n\ngrpc = main\n"
        "if __name__ == '__main__':\n    main()\n",
        encoding="utf-8",
    )

    case.refused(case.run("gen", "--force", env={"PYTHONPATH": str(tmp_path / "fake")}), 1)


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff" * 64, b"\x0a\x03abc", b"\x0a\x05\x0a\x03a.p\x12"],
    ids=["empty", "garbage", "truncated", "cut-in-a-field"],
)
def test_a_garbage_image_is_one_error_naming_it(case: Case, content: bytes) -> None:
    case.write("in.binpb", content)
    case.freeze()

    case.refused(case.run("gen", "--image", "in.binpb"), 1, "in.binpb")
