"""Proto comments become docstrings safely: the hostile-comments fixture cannot break out."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.gen.helpers import env_with, snapshot

PROBE = """
import json
from edge.hostile.v1 import hostile_pb2, hostile_pb2_grpc
from services.hostile import servicer, servicer_aio
docs = {
    "stub": hostile_pb2_grpc.HostileStub.__doc__,
    "poke": hostile_pb2_grpc.HostileServicer.Poke.__doc__,
    "prod": hostile_pb2_grpc.HostileServicer.Prod.__doc__,
    "quote": hostile_pb2_grpc.HostileServicer.Quote.__doc__,
    "skeleton_poke": servicer.Hostile.Poke.__doc__,
    "skeleton_aio_quote": servicer_aio.Hostile.Quote.__doc__,
}
print(json.dumps(docs))
"""


def test_every_generated_file_from_hostile_comments_parses(edge_ws: Path) -> None:
    for rel, data in snapshot(edge_ws).items():
        if "hostile" in rel and rel.endswith((".py", ".pyi")):
            ast.parse(data, filename=rel)


def test_hostile_comments_are_docstrings_and_never_run(edge_ws: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=edge_ws,
        env=env_with({"PYTHONPATH": f"{edge_ws / 'gen/python'}:{edge_ws}"}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()  # only the probe printed: no comment ran as code
    docs = json.loads(line)
    assert docs["poke"] == '""");import os;os.system("echo injected");("""'
    assert docs["prod"] == (
        "{{ jinja }} {% raw %} ${shell} `backtick` and a backslash at the very end \\"
    )
    assert docs["quote"] == '"'
    assert docs["stub"] == (
        "block comment: ''' single triple ''' and \"\"\" double triple \"\"\" "
        'and a lone " at the end"'
    )
    assert docs["skeleton_poke"] == docs["poke"]
    assert docs["skeleton_aio_quote"] == '"'
