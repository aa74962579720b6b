"""``fmt --write`` on a module that does not compile rewrites nothing."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.support import PING_PROTO, assert_one_error_line

# A stray brace: buf format still parses this and would re-indent the rest of the file.
BROKEN = PING_PROTO.replace("message Ping {", "message Ping {{") + "\n// Pong.\nmessage Pong {\n}\n"
UNFORMATTED = 'syntax = "proto3";\npackage   shop.extra.v1;\n'


def test_fmt_write_refuses_while_the_module_does_not_compile(
    protokit: Callable[..., subprocess.CompletedProcess[str]], tiny_ws: Callable[..., Path]
) -> None:
    root = tiny_ws({"shop/core/v1/core.proto": BROKEN, "shop/extra/v1/extra.proto": UNFORMATTED})

    line = assert_one_error_line(protokit("fmt", "--write", cwd=root), 1)

    assert line.startswith("protokit: error: shop/core/v1/core.proto:")
    assert line.endswith("; fix this first, nothing was formatted")
    assert (root / "shop/core/v1/core.proto").read_text(encoding="utf-8") == BROKEN
    assert (root / "shop/extra/v1/extra.proto").read_text(encoding="utf-8") == UNFORMATTED
