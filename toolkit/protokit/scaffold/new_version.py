"""``protokit new-version acme.user.v1 v2``: start the next major version beside the old one.

The copy keeps every comment and the author's layout, so it is made from the ``.proto`` text —
but only through a token-level rewrite (comments and string literals are never touched, except
the import paths of the package's own files), and it is verified before anything is written:
the copied module is rebuilt with buf in a temporary folder, its descriptors must equal the old
package's descriptors with the package renamed, and it must be lint- and format-clean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import walk_messages
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.naming import version_key, version_ok
from protokit.core.workspace import Workspace
from protokit.core.writer import OutputFile, Owner, apply, plan_outputs
from protokit.scaffold.scratch import scratch_workspace
from protokit.tools.buf import module_paths, run_buf
from protokit.tools.buf_output import parse_json_findings
from protokit.tools.image import build_image

_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,99}", re.ASCII)
_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<ident>\.?[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class _Plan:
    old_package: str
    new_package: str
    imports: dict[str, str]  # old import path -> new import path (the package's own files)
    disk: dict[str, str]  # new import path -> new path relative to the workspace root


def run_new_version(ws: Workspace, package: str, version: str) -> list[str]:
    """Write the new version's files; returns their paths relative to the workspace root."""
    plan, texts = plan_new_version(ws, package, version)
    targets = [ws.root / plan.disk[name] for name in sorted(texts)]
    clash = [p for p in targets if p.exists()]
    if clash:
        raise ProtokitError(
            "refusing to overwrite an existing file; the new version must start empty",
            path=clash[0].relative_to(ws.root).as_posix(),
        )
    outputs = [OutputFile.text(plan.disk[name], texts[name], Owner.USER) for name in texts]
    apply(plan_outputs(ws.root, outputs))  # atomic; a failure removes what it created
    return [plan.disk[name] for name in sorted(texts)]


def plan_new_version(ws: Workspace, package: str, version: str) -> tuple[_Plan, dict[str, str]]:
    """The new files' text by new import path, verified by buf; nothing is written."""
    if len(package) > 1000 or not _PACKAGE.fullmatch(package):
        raise UsageError(
            f"{package[:60]!r} is not a protobuf package name of at most 100 parts (for "
            "example acme.user.v1)"
        )
    if not version_ok(version):
        raise UsageError(f"{version[:40]!r} is not a package version such as v2 or v2beta1")
    head, _, old_version = package.rpartition(".")
    if not head or not version_ok(old_version):
        raise UsageError(f"package {package} does not end in a version component such as v1")
    new_package = f"{head}.{version}"
    if new_package == package:
        raise UsageError(f"{package} is already at version {version}")
    if version_key(version) < version_key(old_version):
        raise UsageError(
            f"{version} is older than {old_version}: new-version starts a later version of "
            f"{package} (such as v{version_key(old_version)[0] + 1})"
        )
    image = build_image(ws)
    own = [f for f in image.target_files() if f.package == package]
    if not own:
        known = sorted({f.package for f in image.target_files()})
        raise ProtokitError(f"no package {package} in this module (packages: {', '.join(known)})")
    if any(f.package == new_package for f in image.target_files()):
        raise ProtokitError(f"package {new_package} already exists; refusing to overwrite it")
    old_dir, new_dir = package.replace(".", "/") + "/", new_package.replace(".", "/") + "/"
    imports: dict[str, str] = {}
    disk: dict[str, str] = {}
    for f in own:
        if f.name.startswith(old_dir):
            new_name = new_dir + f.name[len(old_dir) :]
        else:
            parts = f.name.split("/")
            if old_version not in parts[:-1]:
                raise ProtokitError(
                    f"{f.name} is not in a folder named for its version {old_version}; move it "
                    "first (buf lint PACKAGE_DIRECTORY_MATCH)"
                )
            index = len(parts) - 2 - parts[:-1][::-1].index(old_version)
            parts[index] = version
            new_name = "/".join(parts)
        imports[f.name] = new_name
        old_disk = image.disk_paths.get(f.name, f.name)
        disk[new_name] = old_disk[: len(old_disk) - len(f.name)] + new_name
    for path in disk.values():
        if (ws.root / path).exists():
            raise ProtokitError("refusing to overwrite an existing file", path=path)
        for parent in PurePosixPath(path).parents:
            if (ws.root / parent).exists() and not (ws.root / parent).is_dir():
                raise ProtokitError(
                    f"a file is in the way of the folder for {path}", path=parent.as_posix()
                )
    plan = _Plan(package, new_package, imports, disk)
    texts: dict[str, str] = {}
    for f in own:
        old_path = ws.root / image.disk_paths.get(f.name, f.name)
        try:
            source = old_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProtokitError(f"cannot read {f.name}: {exc}", path=str(old_path)) from exc
        texts[imports[f.name]] = rewrite(source, plan)
    return plan, _verify(ws, plan, texts, own)


def rewrite(source: str, plan: _Plan) -> str:
    """Rename the package in ``package``, own imports and fully-qualified references."""
    out: list[str] = []
    previous: list[str] = []  # the last significant tokens, to know the statement
    for kind, text in _tokens(source):
        if kind in ("ws", "comment"):
            out.append(text)
            continue
        if kind == "string" and previous[-1:] in (["import"], ["public"], ["weak"]):
            value = text[1:-1]
            if value in plan.imports:
                text = text[0] + plan.imports[value] + text[-1]
        elif kind == "ident":
            compact = re.sub(r"\s+", "", text)
            for prefix in (plan.old_package, "." + plan.old_package):
                if compact == prefix and previous[-1:] == ["package"]:
                    text = plan.new_package
                elif compact.startswith(prefix + "."):
                    text = (
                        prefix.replace(plan.old_package, plan.new_package) + compact[len(prefix) :]
                    )
        out.append(text)
        previous = [*previous[-3:], text]
    return "".join(out)


def _tokens(source: str) -> Iterator[tuple[str, str]]:
    for match in _TOKEN.finditer(source):
        kind = match.lastgroup or "other"
        yield kind, match.group()


def _verify(
    ws: Workspace, plan: _Plan, texts: dict[str, str], own: list[d.FileDescriptorProto]
) -> dict[str, str]:
    """Build the module with the new files in a scratch copy; return the buf-formatted texts."""
    with scratch_workspace(ws, module_paths(ws), prefix="protokit-new-version-") as scratch_ws:
        scratch = scratch_ws.root
        for name, text in texts.items():
            path = scratch / plan.disk[name]
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        new_paths = [plan.disk[name] for name in sorted(texts)]
        run_buf(["format", "--write", *[f"--path={p}" for p in new_paths]], scratch)
        formatted = {
            name: (scratch / plan.disk[name]).read_text(encoding="utf-8") for name in texts
        }
        try:
            image = build_image(scratch_ws)
        except ProtokitError as exc:
            raise ProtokitError(
                f"the copy of {plan.old_package} does not build as {plan.new_package} ({exc}); "
                "nothing was written"
            ) from exc
        lint = run_buf(
            ["lint", "--error-format", "json", *[f"--path={p}" for p in new_paths]], scratch
        )
        if lint.returncode != 0:
            findings = parse_json_findings(lint.stdout, source="buf lint")
            first = findings[0] if findings else None
            detail = f"{first.location()}: {first.rule}: {first.message}" if first else "failed"
            raise ProtokitError(
                f"the copy of {plan.old_package} would not be lint-clean ({detail}); fix "
                f"{plan.old_package} first; nothing was written"
            )
        built = {f.name: f for f in image.files}
        for old in own:
            expected = _renamed(old, plan)
            actual = d.FileDescriptorProto()
            actual.CopyFrom(built[plan.imports[old.name]])
            actual.ClearField("source_code_info")
            if expected.SerializeToString(deterministic=True) != actual.SerializeToString(
                deterministic=True
            ):
                raise ProtokitError(
                    f"the copy of {old.name} does not compile to the same schema under "
                    f"{plan.new_package} (a partly qualified reference to {plan.old_package}?); "
                    "nothing was written",
                    path=plan.disk[plan.imports[old.name]],
                )
    return formatted


def _renamed(old: d.FileDescriptorProto, plan: _Plan) -> d.FileDescriptorProto:
    """The old file's descriptor as the new version should compile to."""
    new = d.FileDescriptorProto()
    new.CopyFrom(old)
    new.ClearField("source_code_info")
    new.name = plan.imports[old.name]
    new.package = plan.new_package
    for i, dep in enumerate(new.dependency):
        new.dependency[i] = plan.imports.get(dep, dep)
    old_prefix, new_prefix = f".{plan.old_package}.", f".{plan.new_package}."

    def fix(name: str) -> str:
        return new_prefix + name[len(old_prefix) :] if name.startswith(old_prefix) else name

    for at in walk_messages(new):
        for field in [*at.message.field, *at.message.extension]:
            if field.type_name:
                field.type_name = fix(field.type_name)
            if field.extendee:
                field.extendee = fix(field.extendee)
    for ext in new.extension:
        ext.type_name, ext.extendee = fix(ext.type_name), fix(ext.extendee)
    for svc in new.service:
        for method in svc.method:
            method.input_type, method.output_type = fix(method.input_type), fix(method.output_type)
    return new
