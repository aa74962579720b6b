"""gen over time: user code survives, stale files go, --check gates CI, runs are atomic,
a no-op re-run generates nothing, and a repository's templates/ override the built-ins."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.gen.helpers import cli, env_with, snapshot

USER_PROTO = "contracts/acme/user/v1/user_service.proto"
NEW_RPC = (
    "  // DeleteUser removes one user.\n"
    "  rpc DeleteUser(GetUserRequest) returns (GetUserResponse);\n"
)


def _add_rpc(root: Path) -> None:
    path = root / USER_PROTO
    text = path.read_text()
    marker = "service UserService {\n"
    path.write_text(text.replace(marker, marker + NEW_RPC))


def test_a_user_edited_skeleton_survives_gen(example: Path) -> None:
    servicer = example / "services/user/servicer.py"
    edited = servicer.read_text().replace(
        'context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented yet")',
        "return user_service_pb2.GetUserResponse()",
        1,
    )
    servicer.write_text(edited)
    _add_rpc(example)
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert servicer.read_text() == edited
    stubs = (example / "gen/python/acme/user/v1/user_service_pb2_grpc.py").read_text()
    assert "def DeleteUser(self, request, context):" in stubs


def test_gen_reports_an_rpc_an_existing_servicer_lacks_with_the_signature(example: Path) -> None:
    _add_rpc(example)
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert (
        "services/user/servicer.py:15:1: RPC_NOT_IMPLEMENTED: UserService lacks DeleteUser "
        "(unary_unary), added to the contract in acme/user/v1/user_service.proto; add: "
        "def DeleteUser(self, request: user_service_pb2.GetUserRequest, "
        "context: grpc.ServicerContext) -> user_service_pb2.GetUserResponse:"
    ) in result.stderr
    assert "services/user/servicer_aio.py:15:1: RPC_NOT_IMPLEMENTED: UserService lacks " in (
        result.stderr
    )
    assert "async def DeleteUser(self, request: user_service_pb2.GetUserRequest, context: " in (
        result.stderr
    )


def test_a_stale_file_from_a_removed_proto_is_deleted_and_nothing_else(example: Path) -> None:
    (example / "contracts/acme/analytics/v1/analytics_service.proto").unlink()
    (example / "gen/python/acme/analytics/v1/notes.txt").write_text("mine\n")
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert "delete    gen/python/acme/analytics/v1/analytics_service_pb2.py" in result.stderr
    gone = example / "gen/python/acme/analytics/v1"
    assert sorted(p.name for p in gone.iterdir()) == ["notes.txt"]
    assert (example / "services/analytics/servicer.py").is_file()  # user-owned: kept
    assert (example / "gen/python/acme/user/v1/user_pb2.py").is_file()


def test_gen_check_lists_stale_files_and_exits_non_zero(example: Path) -> None:
    before = snapshot(example)
    (example / "contracts/acme/analytics/v1/analytics_service.proto").unlink()
    _add_rpc(example)
    result = cli(["gen", "--check"], example)
    assert result.returncode == 100
    lines = result.stdout.splitlines()
    assert "update    gen/python/acme/user/v1/user_service_pb2_grpc.py" in lines
    assert "delete    gen/python/acme/analytics/v1/analytics_service_pb2.py" in lines
    assert all("services/" not in line for line in lines)
    assert "run `protokit gen` and commit the result" in result.stderr
    assert snapshot(example) == before  # --check writes nothing


def test_gen_check_passes_when_the_output_is_current(example: Path) -> None:
    result = cli(["gen", "--check"], example)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_a_dry_run_prints_the_plan_and_writes_nothing(example: Path) -> None:
    before = snapshot(example)
    _add_rpc(example)
    result = cli(["gen", "--dry-run"], example)
    assert result.returncode == 0, result.stderr
    assert "update    gen/python/acme/user/v1/user_service_pb2_grpc.py" in result.stderr
    assert "would change" in result.stderr
    assert snapshot(example) == before


_KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from protokit.gen.pipeline import run_gen
    from protokit.core.workspace import open_workspace

    stage, after = sys.argv[2], int(sys.argv[3])
    seen = 0

    def on_event(event: str, path: str) -> None:
        global seen
        if event == stage:
            seen += 1
            if seen >= after:
                os.kill(os.getpid(), signal.SIGKILL)

    run_gen(open_workspace(Path(sys.argv[1])), on_event=on_event)
    """
)


@pytest.mark.parametrize(("stage", "after"), [("staged", 3), ("replaced", 2)])
def test_a_run_killed_mid_write_leaves_the_previous_output_complete(
    example: Path, stage: str, after: int
) -> None:
    old = snapshot(example, ("gen/python",))
    _add_rpc(example)
    (example / "contracts/acme/analytics/v1/analytics_service.proto").write_text(
        (example / "contracts/acme/analytics/v1/analytics_service.proto")
        .read_text()
        .replace("// ReportEvent receives", "// ReportEvent (changed) receives")
    )
    killed = subprocess.run(
        [sys.executable, "-c", _KILLER, str(example), stage, str(after)],
        env=env_with(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr
    snap = snapshot(example, ("gen/python",))
    temps = [rel for rel in snap if rel.endswith(".protokit-tmp")]
    now = {rel: data for rel, data in snap.items() if rel not in temps}
    if stage == "staged":
        assert temps  # killed while staging: the new files exist only as temp files
        assert now == old  # nothing replaced: the previous output, byte for byte
    else:
        changed = [rel for rel in now if now[rel] != old.get(rel)]
        assert changed, "the kill came after a replace; some file must be new"
    # Every file is whole: each one parses, old or new.
    for rel, data in now.items():
        if rel.endswith((".py", ".pyi")):
            compile(data, rel, "exec", dont_inherit=True, flags=0x400)  # PyCF_ONLY_AST
    # The old manifest still stands, so the next run sees the difference and repairs it.
    assert cli(["gen", "--check"], example).returncode == 100
    assert cli(["gen"], example).returncode == 0
    assert cli(["gen", "--check"], example).returncode == 0
    assert not list((example / "gen/python").rglob("*.protokit-tmp"))


def _tripwire(tmp_path: Path) -> tuple[Path, Path]:
    """A grpc_tools that records being run: proof, from outside, of whether protoc ran."""
    trip = tmp_path / "trip"
    (trip / "grpc_tools").mkdir(parents=True)
    marker = tmp_path / "protoc-ran"
    (trip / "grpc_tools/__init__.py").write_text("")
    (trip / "grpc_tools/protoc.py").write_text(
        f"import pathlib, sys\npathlib.Path({str(marker)!r}).write_text('ran')\nsys.exit(3)\n"
    )
    return trip, marker


def test_a_no_op_rerun_does_no_generation_work(example: Path, tmp_path: Path) -> None:
    trip, marker = _tripwire(tmp_path)
    before = {p: p.stat().st_mtime_ns for p in (example / "gen/python").rglob("*") if p.is_file()}
    result = cli(["gen"], example, extra_env={"PYTHONPATH": str(trip)})
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert "inputs unchanged, nothing generated; 0 changed" in result.stderr
    after = {p: p.stat().st_mtime_ns for p in (example / "gen/python").rglob("*") if p.is_file()}
    assert after == before


def test_the_tripwire_does_catch_protoc_when_an_input_changed(
    example: Path, tmp_path: Path
) -> None:
    trip, marker = _tripwire(tmp_path)
    _add_rpc(example)
    result = cli(["gen"], example, extra_env={"PYTHONPATH": str(trip)})
    assert marker.exists()
    assert result.returncode == 1
    assert result.stderr.startswith("protokit: error: protoc failed")


def test_a_hand_edited_generated_file_is_restored(example: Path) -> None:
    target = example / "gen/python/acme/user/v1/user_service_pb2_grpc.py"
    original = target.read_bytes()
    target.write_text("# edited\n")
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert "update    gen/python/acme/user/v1/user_service_pb2_grpc.py" in result.stderr
    assert target.read_bytes() == original


def test_a_repository_template_overrides_a_built_in_file_by_file(example: Path) -> None:
    override = example / "templates/gen/service/servicer.py.j2"
    override.parent.mkdir(parents=True)
    override.write_text('"""Our house servicer for {{ pkg.package }}."""\n')
    for path in (example / "services").rglob("*"):
        if path.is_file():
            path.unlink()
    result = cli(["gen", "--force"], example)  # --force re-creates deleted skeletons
    assert result.returncode == 0, result.stderr
    assert (example / "services/user/servicer.py").read_text() == (
        '"""Our house servicer for acme.user.v1."""\n'
    )
    # The other templates still come from the built-ins.
    assert "class UserService(" in (example / "services/user/servicer_aio.py").read_text()


def test_changing_a_stub_template_counts_as_a_changed_input(example: Path) -> None:
    override = example / "templates/gen/pyproject.toml.j2"
    override.parent.mkdir(parents=True)
    override.write_text('[project]\nname = "{{ dist.name }}-custom"\n')
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert (example / "gen/python/pyproject.toml").read_text() == (
        '[project]\nname = "acme-contracts-custom"\n'
    )


def test_gen_reports_a_new_service_an_existing_servicer_module_lacks(example: Path) -> None:
    path = example / USER_PROTO
    path.write_text(
        path.read_text()
        + "\n// AuditService answers audit questions.\nservice AuditService {\n"
        + "  // Audit returns one user.\n"
        + "  rpc Audit(GetUserRequest) returns (GetUserResponse);\n}\n"
    )
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert (
        "services/user/servicer.py:1:1: SERVICER_MISSING: has no class AuditService for "
        "acme.user.v1.AuditService; add `class AuditService("
        "user_service_pb2_grpc.AuditServiceServicer):` with its 1 RPC method(s)"
    ) in result.stderr


def test_a_skeleton_the_user_deleted_stays_deleted_unless_forced(example: Path) -> None:
    starter = example / "tests/services/test_user_service.py"
    starter.unlink()
    assert cli(["gen"], example).returncode == 0
    assert not starter.exists()
    result = cli(["gen", "--force"], example)
    assert result.returncode == 0, result.stderr
    assert "create    tests/services/test_user_service.py" in result.stderr
    assert starter.is_file()


def test_gen_reports_a_servicer_method_whose_rpc_was_removed(example: Path) -> None:
    path = example / USER_PROTO
    text = path.read_text()
    start = text.index("  rpc ChatSupport(")
    path.write_text(text[:start] + text[text.index(";", start) + 1 :])
    result = cli(["gen"], example)
    assert result.returncode == 0, result.stderr
    assert (
        "RPC_REMOVED: UserService.ChatSupport handles an RPC that acme.user.v1.UserService no "
        "longer declares in acme/user/v1/user_service.proto"
    ) in result.stderr
