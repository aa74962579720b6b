"""A broken repository template override is one clear error line; no skeleton is written."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import assert_one_error_line

SERVICE_PROTO = """\
syntax = "proto3";

package shop.core.v1;

// Ping is a ping.
message Ping {
  // The id.
  string id = 1;
}

// CoreService answers pings.
service CoreService {
  // Echo returns the ping.
  rpc Echo(Ping) returns (Ping);
}
"""


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (b"\xff\xfe not utf-8\n", "template 'gen/service/servicer.py.j2' is not UTF-8 text"),
        (
            b"def x(:\n",
            "ruff could not format the rendered code (a template bug?): Failed to parse "
            "services/core/servicer.py:1:7: ",
        ),
    ],
)
def test_a_broken_servicer_template_override_is_one_error_line(
    protokit: Callable[..., subprocess.CompletedProcess[str]],
    tiny_ws: Callable[..., Path],
    template: bytes,
    expected: str,
) -> None:
    root = tiny_ws(
        {
            "shop/core/v1/core.proto": SERVICE_PROTO,
            "templates/gen/service/servicer.py.j2": template,
        }
    )

    line = assert_one_error_line(protokit("gen", cwd=root), 1)

    assert line.startswith(f"protokit: error: {expected}")
    assert not (root / "services").exists()
