"""gen compiles with protoc where buf's modules allow it: same descriptors, same bytes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from protokit.core.descriptors import changed_targets, file_digests
from protokit.core.errors import ProtokitError
from protokit.core.paths import cache_dir
from protokit.core.workspace import open_workspace
from protokit.gen import fingerprint
from protokit.gen.pipeline import run_gen
from protokit.tools import image as image_module
from protokit.tools import image_cache
from protokit.tools.image import build_image, compile_image
from protokit.tools.image_cache import cached_entry, source_key


def _compilers(ws_root: Path) -> set[str]:
    found = set()
    for meta in (cache_dir() / "images").glob("*.json"):
        data = json.loads(meta.read_text())
        assert data["root"] == str(ws_root.resolve())
        found.add(str(data["compiler"]))
    return found


def _semantic(image: object) -> dict[str, bytes]:
    from google.protobuf import descriptor_pb2

    assert hasattr(image, "files")
    out = {}
    for proto in image.files:
        copy = descriptor_pb2.FileDescriptorProto()
        copy.CopyFrom(proto)
        copy.ClearField("source_code_info")
        copy.DiscardUnknownFields()  # buf's image extension; options the pool does not know
        out[proto.name] = copy.SerializeToString(deterministic=True)
    return out


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_protoc_compiles_a_local_tree_to_what_buf_compiles(
    synthetic_ws: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(synthetic_ws, root)
    ws = open_workspace(root)
    by_protoc = compile_image(ws)
    assert _compilers(root) == {"protoc"}
    by_buf = build_image(ws)  # a buf command compiles with buf, beside gen's entry
    assert _compilers(root) == {"protoc", "buf"}
    assert by_protoc.targets == by_buf.targets
    assert by_protoc.disk_paths == by_buf.disk_paths
    semantic_protoc, semantic_buf = _semantic(by_protoc), _semantic(by_buf)
    assert {n: d for n, d in semantic_protoc.items() if not n.startswith("google/protobuf/")} == {
        n: d for n, d in semantic_buf.items() if not n.startswith("google/protobuf/")
    }
    assert file_digests(compile_image(ws)) == file_digests(by_protoc)  # gen keeps protoc's
    # a check of gen's image against a baseline buf built finds nothing to check again
    assert changed_targets(by_buf, by_protoc) == set() == changed_targets(by_protoc, by_buf)


def test_gen_writes_the_same_bytes_whichever_compiler_made_the_image(
    synthetic_ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_protoc, with_buf = tmp_path / "a" / "ws", tmp_path / "b" / "ws"
    shutil.copytree(synthetic_ws, with_protoc)
    shutil.copytree(synthetic_ws, with_buf)
    run_gen(open_workspace(with_protoc))
    monkeypatch.setattr(image_module, "_protoc_compile", lambda *args, **kwargs: None)
    run_gen(open_workspace(with_buf))
    made, other = _tree(with_protoc / "gen"), _tree(with_buf / "gen")
    manifest = "python/.protokit-manifest.json"
    assert {k: v for k, v in made.items() if k != manifest} == {
        k: v for k, v in other.items() if k != manifest
    }
    listed = json.loads(made[manifest])["files"]
    assert listed == json.loads(other[manifest])["files"] and listed


def test_an_unresolved_import_is_reported_where_buf_finds_it(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "protos" / "a" / "v1").mkdir(parents=True)
    (root / "buf.yaml").write_text("version: v2\nmodules:\n  - path: protos\n")
    (root / "protos" / "a" / "v1" / "a.proto").write_text(
        'syntax = "proto3";\npackage a.v1;\nimport "b/v1/missing.proto";\nmessage A {}\n'
    )
    with pytest.raises(ProtokitError) as caught:
        compile_image(open_workspace(root))
    assert (caught.value.path, caught.value.line) == ("protos/a/v1/a.proto", 3)


def test_a_comment_change_updates_the_cached_image_to_what_a_full_compile_gives(
    synthetic_ws: Path, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    shutil.copytree(synthetic_ws, root)
    run_gen(open_workspace(root))
    proto = next((root / "protos").rglob("*.proto"))
    proto.write_text("// A new first line.\n" + proto.read_text())
    result = run_gen(open_workspace(root))
    assert len(result.regenerated) == 1  # only the edited file's stubs were rendered
    # the spliced image is cached under the key the run recorded for the next one
    snapshot = fingerprint.load_snapshot(open_workspace(root), "gen/python")
    assert snapshot is not None and snapshot.image_key
    entry = cached_entry(open_workspace(root), snapshot.image_key, ("protoc",))
    assert entry is not None
    cached, _, _, data = entry
    assert data == cached.serialize()  # the spliced bytes are the image's own serialization
    shutil.rmtree(cache_dir() / "images")
    assert file_digests(cached) == file_digests(compile_image(open_workspace(root)))


def test_an_option_change_renders_the_module_again(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "protos" / "o" / "v1").mkdir(parents=True)
    (root / "protos" / "a" / "v1").mkdir(parents=True)
    (root / "buf.yaml").write_text("version: v2\nmodules:\n  - path: protos\n")
    (root / "protos" / "o" / "v1" / "opts.proto").write_text(
        'syntax = "proto3";\npackage o.v1;\nimport "google/protobuf/descriptor.proto";\n'
        "extend google.protobuf.MessageOptions {\n  string label = 50001;\n}\n"
    )
    contract = root / "protos" / "a" / "v1" / "a.proto"
    contract.write_text(
        'syntax = "proto3";\npackage a.v1;\nimport "o/v1/opts.proto";\n'
        'message A {\n  option (o.v1.label) = "one";\n  string id = 1;\n}\n'
    )
    run_gen(open_workspace(root))
    module = root / "gen" / "python" / "a" / "v1" / "a_pb2.py"
    before = module.read_bytes()
    assert b"one" in before
    contract.write_text(contract.read_text().replace('"one"', '"two"'))
    run_gen(open_workspace(root))
    assert b"two" in module.read_bytes()


def _one_file_ws(root: Path) -> Path:
    (root / "protos" / "a" / "v1").mkdir(parents=True)
    (root / "buf.yaml").write_text("version: v2\nmodules:\n  - path: protos\n")
    proto = root / "protos" / "a" / "v1" / "a.proto"
    proto.write_text('syntax = "proto3";\npackage a.v1;\nmessage A {\n  string id = 1;\n}\n')
    return proto


def test_a_file_changed_just_now_is_read_again_and_never_recorded(tmp_path: Path) -> None:
    proto = _one_file_ws(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")
    first = source_key(ws)
    records = [json.loads(p.read_text()) for p in (cache_dir() / "sources").glob("*.json")]
    assert all(record == {} for record in records)  # written a moment ago: not recorded
    proto.write_text(proto.read_text().replace("id", "ab"))  # same size, same second
    assert source_key(ws) != first


def test_an_edit_that_keeps_size_and_mtime_still_changes_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_cache, "SETTLE_NS", 0)  # record every file at once
    proto = _one_file_ws(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")
    before = proto.stat()
    first = source_key(ws)
    (record,) = [json.loads(p.read_text()) for p in (cache_dir() / "sources").glob("*.json")]
    assert list(record) == ["protos/a/v1/a.proto"]
    assert source_key(ws) == first  # taken from the record
    proto.write_text(proto.read_text().replace("id", "ab"))
    os.utime(proto, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `cp -p` or tar leave it
    assert (proto.stat().st_size, proto.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert source_key(ws) != first


def test_a_damaged_source_record_only_means_reading_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_cache, "SETTLE_NS", 0)
    _one_file_ws(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")
    first = source_key(ws)
    for path in (cache_dir() / "sources").glob("*.json"):
        path.write_text('{"protos/a/v1/a.proto": [1, 2, "x"]')
    assert source_key(ws) == first


def test_the_key_names_the_buf_binary_by_its_stat_without_running_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _one_file_ws(tmp_path / "ws")
    ws = open_workspace(tmp_path / "ws")
    fake, log = tmp_path / "buf", tmp_path / "calls.log"
    fake.write_text(f'#!/bin/sh\necho "$@" >> \'{log}\'\necho \'{{"path": "protos"}}\'\n')
    fake.chmod(0o755)
    monkeypatch.setenv("PROTOKIT_BUF", str(fake))
    first = source_key(ws)
    assert source_key(ws) == first
    assert "--version" not in (log.read_text() if log.exists() else "")
    replacement = tmp_path / "buf.new"
    shutil.copy2(fake, replacement)
    replacement.replace(fake)  # another binary at the same path (a reinstall, an upgrade)
    assert source_key(ws) != first
