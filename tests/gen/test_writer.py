"""Output planning and atomic writes: create / identical / update / conflict / delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.core.errors import ProtokitError
from protokit.core.writer import (
    Action,
    Manifest,
    OutputFile,
    Owner,
    apply,
    leftover_temps,
    plan_outputs,
    read_manifest,
)

MANIFEST = "out/manifest.json"


def _run(root: Path, files: list[OutputFile]) -> list[tuple[str, str]]:
    plan = plan_outputs(
        root, files, manifest_path=MANIFEST, previous=read_manifest(root, MANIFEST), inputs="i"
    )
    apply(plan)
    return [(c.action.value, c.path) for c in plan.changes]


def test_each_file_is_classified_against_disk(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out/same.py").write_text("same\n")
    (tmp_path / "out/gen.py").write_text("old\n")
    (tmp_path / "out/mine.py").write_text("edited by hand\n")
    plan = plan_outputs(
        tmp_path,
        [
            OutputFile.text("out/new.py", "new\n"),
            OutputFile.text("out/same.py", "same\n"),
            OutputFile.text("out/gen.py", "fresh\n"),
            OutputFile.text("out/mine.py", "skeleton\n", Owner.USER),
            OutputFile.text("out/mine_new.py", "skeleton\n", Owner.USER),
        ],
    )
    assert [(c.action, c.path) for c in plan.changes] == [
        (Action.UPDATE, "out/gen.py"),
        (Action.CONFLICT, "out/mine.py"),
        (Action.CREATE, "out/mine_new.py"),
        (Action.CREATE, "out/new.py"),
        (Action.IDENTICAL, "out/same.py"),
    ]
    assert not (tmp_path / "out/new.py").exists()  # planning never writes


def test_a_user_owned_file_is_created_once_and_never_overwritten(tmp_path: Path) -> None:
    skeleton = OutputFile.text("svc/servicer.py", "skeleton\n", Owner.USER)
    assert _run(tmp_path, [skeleton]) == [("create", "svc/servicer.py")]
    (tmp_path / "svc/servicer.py").write_text("implemented\n")
    assert _run(tmp_path, [skeleton]) == [("conflict", "svc/servicer.py")]
    assert (tmp_path / "svc/servicer.py").read_text() == "implemented\n"


def test_a_generated_file_is_rewritten_when_it_differs(tmp_path: Path) -> None:
    _run(tmp_path, [OutputFile.text("out/a.py", "one\n")])
    (tmp_path / "out/a.py").write_text("hand edit\n")
    assert _run(tmp_path, [OutputFile.text("out/a.py", "one\n")]) == [("update", "out/a.py")]
    assert (tmp_path / "out/a.py").read_text() == "one\n"


def test_a_stale_generated_file_is_deleted_and_nothing_else(tmp_path: Path) -> None:
    _run(
        tmp_path, [OutputFile.text("out/pkg/old.py", "x\n"), OutputFile.text("out/keep.py", "k\n")]
    )
    (tmp_path / "out/pkg/unrelated.txt").write_text("not ours\n")
    (tmp_path / "out/gone").mkdir()
    assert _run(tmp_path, [OutputFile.text("out/keep.py", "k\n")]) == [
        ("identical", "out/keep.py"),
        ("delete", "out/pkg/old.py"),
    ]
    assert not (tmp_path / "out/pkg/old.py").exists()
    assert (tmp_path / "out/pkg/unrelated.txt").read_text() == "not ours\n"


def test_emptied_folders_of_deleted_files_are_removed(tmp_path: Path) -> None:
    _run(tmp_path, [OutputFile.text("out/a/b/old.py", "x\n"), OutputFile.text("out/k.py", "k\n")])
    _run(tmp_path, [OutputFile.text("out/k.py", "k\n")])
    assert not (tmp_path / "out/a").exists()
    assert (tmp_path / "out").is_dir()


def test_the_manifest_lists_generated_files_only(tmp_path: Path) -> None:
    _run(
        tmp_path,
        [OutputFile.text("out/g.py", "g\n"), OutputFile.text("svc/u.py", "u\n", Owner.USER)],
    )
    manifest = read_manifest(tmp_path, MANIFEST)
    assert manifest is not None
    assert list(manifest.files) == ["out/g.py"]
    assert manifest.inputs == "i"
    assert manifest.matches_disk(tmp_path)


def test_a_rerun_with_the_same_outputs_is_up_to_date(tmp_path: Path) -> None:
    files = [OutputFile.text("out/g.py", "g\n")]
    _run(tmp_path, files)
    plan = plan_outputs(
        tmp_path,
        files,
        manifest_path=MANIFEST,
        previous=read_manifest(tmp_path, MANIFEST),
        inputs="i",
    )
    assert plan.up_to_date
    assert plan.lines(include_identical=False) == []


def test_a_dry_run_plan_lists_one_line_per_file(tmp_path: Path) -> None:
    plan = plan_outputs(tmp_path, [OutputFile.text("out/g.py", "g\n")])
    assert plan.lines() == ["create    out/g.py"]
    assert plan.summary() == "1 create"


def test_staging_failure_leaves_previous_output_and_no_temp_files(tmp_path: Path) -> None:
    _run(tmp_path, [OutputFile.text("out/a.py", "one\n")])
    (tmp_path / "blocked").write_text("a file where a folder must go\n")  # fails even as root
    with pytest.raises(ProtokitError, match=r"blocked/b.py: cannot write: .*nothing was changed"):
        _run(tmp_path, [OutputFile.text("out/a.py", "two\n"), OutputFile.text("blocked/b.py", "")])
    assert (tmp_path / "out/a.py").read_text() == "one\n"
    assert leftover_temps(tmp_path, ["out"]) == []


def test_a_run_interrupted_after_staging_leaves_previous_output_complete(tmp_path: Path) -> None:
    _run(tmp_path, [OutputFile.text("out/a.py", "one\n"), OutputFile.text("out/b.py", "one\n")])

    class Killed(BaseException):
        pass

    def kill_after_first_replace(stage: str, path: str) -> None:
        if stage == "replaced":
            raise Killed

    files = [OutputFile.text("out/a.py", "two\n"), OutputFile.text("out/b.py", "two\n")]
    plan = plan_outputs(
        tmp_path,
        files,
        manifest_path=MANIFEST,
        previous=read_manifest(tmp_path, MANIFEST),
        inputs="j",
    )
    with pytest.raises(Killed):
        apply(plan, on_event=kill_after_first_replace)
    # Every file is whole (old or new), and the old manifest says the run did not finish.
    assert {(tmp_path / f"out/{n}.py").read_text() for n in "ab"} <= {"one\n", "two\n"}
    manifest = read_manifest(tmp_path, MANIFEST)
    assert manifest is not None and manifest.inputs == "i"
    assert not manifest.matches_disk(tmp_path)
    _run(tmp_path, files)  # the next run repairs it
    assert [(tmp_path / f"out/{n}.py").read_text() for n in "ab"] == ["two\n", "two\n"]


def test_paths_outside_the_root_are_refused() -> None:
    for bad in ["../x.py", "/etc/passwd", "a/../../x", ""]:
        with pytest.raises(ProtokitError, match="outside the output root"):
            OutputFile.text(bad, "x")


def test_two_outputs_for_one_path_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProtokitError, match=r"same file: a\.py"):
        plan_outputs(tmp_path, [OutputFile.text("a.py", "1"), OutputFile.text("a.py", "2")])


def test_a_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / MANIFEST).write_text("{not json")
    with pytest.raises(ProtokitError, match=r"out/manifest.json: unreadable manifest"):
        read_manifest(tmp_path, MANIFEST)


def test_manifest_bytes_are_deterministic() -> None:
    one = Manifest(files={"b": "2", "a": "1"}, inputs="x", notes={"z": "1", "y": "2"})
    two = Manifest(files={"a": "1", "b": "2"}, inputs="x", notes={"y": "2", "z": "1"})
    assert one.dumps() == two.dumps()
    assert Manifest.loads(one.dumps(), path="m") == two


def test_a_conflict_can_show_what_would_have_changed(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("a\n")
    plan = plan_outputs(tmp_path, [OutputFile.text("mine.py", "b\n", Owner.USER)])
    (change,) = plan.conflicts
    assert "-a\n+b\n" in change.diff()
    assert change.line() == "conflict  mine.py  (yours, differs; left unchanged)"


def test_the_manifest_remembers_user_files_it_created(tmp_path: Path) -> None:
    _run(tmp_path, [OutputFile.text("svc/a.py", "a\n", Owner.USER)])
    _run(tmp_path, [OutputFile.text("svc/b.py", "b\n", Owner.USER)])
    manifest = read_manifest(tmp_path, MANIFEST)
    assert manifest is not None
    assert manifest.created == ("svc/a.py", "svc/b.py")
    assert manifest.files == {}
