"""Bad input: one clear line on stderr with file:line, a non-zero exit, nothing written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gen.helpers import cli

BUF_YAML = "version: v2\nmodules:\n  - path: proto\n"
OK = 'syntax = "proto3";\npackage ok.v1;\nmessage Fine {}\n'

CASES = {
    "syntax-error": (
        {
            "ok/v1/bad.proto": (
                'syntax = "proto3";\npackage ok.v1;\nmessage Broken {\n  string = 1;\n}\n'
            )
        },
        r"^protokit: error: proto/ok/v1/bad\.proto:4:\d+: ",
    ),
    "unresolved-import": (
        {"ok/v1/bad.proto": 'syntax = "proto3";\npackage ok.v1;\nimport "missing/nope.proto";\n'},
        r"^protokit: error: proto/ok/v1/bad\.proto:3:\d+: imported file does not exist$",
    ),
    "digit-leading-file-name": (
        {"ok/v1/1bad.proto": 'syntax = "proto3";\npackage ok.v1;\nmessage A {}\n'},
        r"^protokit: error: proto/ok/v1/1bad\.proto:1: the Python module 'ok\.v1\.1bad_pb2' cannot "
        r"be imported: '1bad_pb2' starts with a digit; rename the file or folder$",
    ),
    "keyword-folder": (
        {"ok/class/x.proto": 'syntax = "proto3";\npackage ok.klass;\nmessage A {}\n'},
        r"^protokit: error: proto/ok/class/x\.proto:1: the Python module 'ok\.class\.x_pb2' cannot "
        r"be imported: 'class' is a Python keyword",
    ),
    "outputs-collide": (
        {
            "ok/v1/a-b.proto": 'syntax = "proto3";\npackage ok.v1;\nmessage A {}\n',
            "ok/v1/a_b.proto": 'syntax = "proto3";\npackage ok.v1;\nmessage B {}\n',
        },
        r"^protokit: error: proto/ok/v1/a_b\.proto:1: proto/ok/v1/a-b\.proto and "
        r"proto/ok/v1/a_b\.proto both generate the Python module 'ok\.v1\.a_b_pb2'",
    ),
    "shadows-the-stdlib": (
        {"io/v1/x.proto": 'syntax = "proto3";\npackage io.v1;\nmessage A {}\n'},
        r"^protokit: error: proto/io/v1/x\.proto:1: the generated package 'io' would shadow",
    ),
    "rpc-names-collide-after-mangling": (
        {
            "ok/v1/svc.proto": (
                'syntax = "proto3";\npackage ok.v1;\nmessage M {}\n'
                "// S has two RPCs that mangle alike.\nservice S {\n"
                "  rpc class(M) returns (M);\n  rpc class_(M) returns (M);\n}\n"
            )
        },
        r"^protokit: error: proto/ok/v1/svc\.proto:5: 'class', 'class_' all become the Python "
        r"name 'class_' in service S; rename one of them$",
    ),
    "service-names-collide-in-the-grpc-module": (
        {
            "ok/v1/svc.proto": (
                'syntax = "proto3";\npackage ok.v1;\nmessage M {}\n'
                "service A {\n  rpc Get(M) returns (M);\n}\n"
                "service AStub {\n  rpc Get(M) returns (M);\n}\n"
            )
        },
        r"^protokit: error: proto/ok/v1/svc\.proto:1: 'service A \(stub\)', 'service AStub "
        r"\(experimental\)' all become the Python name 'AStub'",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_with_its_location_and_nothing_is_written(
    tmp_path: Path, case: str
) -> None:
    files, pattern = CASES[case]
    (tmp_path / "buf.yaml").write_text(BUF_YAML)
    for rel, text in {"ok/v1/ok.proto": OK, **files}.items():
        path = tmp_path / "proto" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = cli(["gen"], tmp_path)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() != ""
    assert re.search(pattern, result.stderr.strip()), result.stderr
    assert not (tmp_path / "gen").exists()
    assert not (tmp_path / "services").exists()


def test_an_unwritable_output_folder_is_an_error_and_nothing_is_half_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "buf.yaml").write_text(BUF_YAML)
    (tmp_path / "proto/ok/v1").mkdir(parents=True)
    (tmp_path / "proto/ok/v1/ok.proto").write_text(OK)
    (tmp_path / "gen").write_text("a file where the output folder should be\n")
    result = cli(["gen"], tmp_path)
    assert result.returncode == 1
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "cannot write" in result.stderr and "nothing was changed" in result.stderr
    assert (tmp_path / "gen").read_text() == "a file where the output folder should be\n"


def test_gen_works_in_a_workspace_with_no_protokit_configuration(tmp_path: Path) -> None:
    (tmp_path / "buf.yaml").write_text(BUF_YAML)
    (tmp_path / "proto/ok/v1").mkdir(parents=True)
    (tmp_path / "proto/ok/v1/ok.proto").write_text(OK)
    result = cli(["gen", "--no-services"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "gen/python/ok/v1/ok_pb2.py").is_file()
    assert not (tmp_path / "gen/python/ok/v1/ok_pb2_grpc.py").exists()  # no services, no module
    assert not (tmp_path / "services").exists()
    assert 'name = "ok-contracts"' in (tmp_path / "gen/python/pyproject.toml").read_text()


def test_output_folders_follow_settings_and_flags(tmp_path: Path) -> None:
    (tmp_path / "buf.yaml").write_text(BUF_YAML)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.protokit]\nstubs_out = "stubs"\nstubs_distribution = "team-protos"\n'
    )
    (tmp_path / "proto/ok/v1").mkdir(parents=True)
    (tmp_path / "proto/ok/v1/ok.proto").write_text(OK)
    result = cli(["gen", "--services-out", "app/servers"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "stubs/ok/v1/ok_pb2.py").is_file()
    assert 'name = "team-protos"' in (tmp_path / "stubs/pyproject.toml").read_text()
    result = cli(["gen", "--out", "other"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "other/ok/v1/ok_pb2.py").is_file()


def test_a_descriptor_set_can_replace_buf_build(tmp_path: Path, example_ws: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    shutil.copy(example_ws / "buf.yaml", root / "buf.yaml")
    shutil.copytree(example_ws / "contracts", root / "contracts")
    image = tmp_path / "image.binpb"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grpc_tools.protoc",
            "-Icontracts",
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={image}",
            "acme/user/v1/user.proto",
            "acme/user/v1/user_service.proto",
        ],
        cwd=root,
        check=True,
        timeout=60,
    )
    result = cli(["gen", "--no-services", "--image", str(image)], root)
    assert result.returncode == 0, result.stderr
    expected = (example_ws / "gen/python/acme/user/v1/user_service_pb2_grpc.py").read_bytes()
    assert (root / "gen/python/acme/user/v1/user_service_pb2_grpc.py").read_bytes() == expected
    assert not (root / "gen/python/acme/inventory").exists()


def test_protos_under_google_never_get_a_google_init(tmp_path: Path) -> None:
    (tmp_path / "buf.yaml").write_text(BUF_YAML)
    (tmp_path / "proto/google/type").mkdir(parents=True)
    (tmp_path / "proto/google/type/money.proto").write_text(
        'syntax = "proto3";\npackage google.type;\nmessage Money { string currency_code = 1; }\n'
    )
    result = cli(["gen", "--no-services", "--format", "json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "gen/python/google/__init__.py").exists()
    assert (tmp_path / "gen/python/google/type/money_pb2.py").is_file()
    data = json.loads(result.stdout)
    assert {
        "action": "create",
        "path": "gen/python/google/type/__init__.py",
        "owner": "generated",
    } in (data["changes"])
    assert data["generated"] is True and data["protoc_runs"] == 1
