"""Unstable packages (``[tool.protokit] unstable_packages``): where breaking changes are allowed.

A pattern without a dot matches one component of the package (``v1alpha1`` matches
``v[0-9]*alpha*``); one with a dot matches the whole package (``acme.labs.*``). Breaking findings
and fixture findings in those packages are dropped, diff counts their breaks as a minor change,
and a stable package importing an unstable one is a finding of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase

from google.protobuf import descriptor_pb2 as d

from protokit.core.descriptors import Image
from protokit.core.findings import Finding
from protokit.core.sourcemap import SourceIndex

IMPORT_RULE = "STABLE_IMPORTS_UNSTABLE"


def is_unstable(package: str, patterns: Sequence[str]) -> bool:
    if not package:
        return False
    parts = package.split(".")
    for pattern in patterns:
        if "." in pattern:
            if fnmatchcase(package, pattern):
                return True
        elif any(fnmatchcase(part, pattern) for part in parts):
            return True
    return False


def unstable_paths(images: Iterable[Image], patterns: Sequence[str]) -> set[str]:
    """The disk paths (as buf reports them) of files in unstable packages, in any of ``images``."""
    paths: set[str] = set()
    for image in images:
        for file in image.files:
            if is_unstable(file.package, patterns):
                paths.add(image.disk_paths.get(file.name, file.name))
    return paths


def drop_unstable(
    findings: Iterable[Finding], paths: set[str], sources: Sequence[str]
) -> list[Finding]:
    """``findings`` without those of ``sources`` located in an unstable package's file."""
    return [f for f in findings if not (f.source in sources and f.path in paths)]


def unstable_imports(image: Image, patterns: Sequence[str]) -> list[Finding]:
    """A finding per import of an unstable package's file by a stable package's file."""
    packages = {f.name: f.package for f in image.files}
    findings: list[Finding] = []
    for file in image.target_files():
        if is_unstable(file.package, patterns):
            continue
        index = SourceIndex(file)
        for i, dep in enumerate(file.dependency):
            package = packages.get(dep, "")
            if not is_unstable(package, patterns):
                continue
            loc = index.location([d.FileDescriptorProto.DEPENDENCY_FIELD_NUMBER, i])
            findings.append(
                Finding(
                    path=image.disk_paths.get(file.name, file.name),
                    line=loc.span[0] + 1 if loc is not None else 0,
                    column=loc.span[1] + 1 if loc is not None else 0,
                    rule=IMPORT_RULE,
                    message=f"stable package {file.package} imports {dep} of unstable package "
                    f"{package}; its breaking changes would break {file.package}: move what is "
                    "needed into a stable package",
                    source="protokit",
                )
            )
    return findings
