"""Frozen releases: ``compat/releases/<VERSION>/`` holds a release's descriptor image, its golden
fixtures and a small ``release.json`` (versions, file list, a SHA-256 per file).

A release is written once: into a temporary sibling folder, then renamed into place, so an
interrupted run leaves nothing half-written; an existing release is never overwritten.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import total_ordering
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from protokit import __version__
from protokit.core.atomic import remove_leftovers, write_tree_atomic
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.paths import load_json, read_regular
from protokit.core.workspace import Workspace

# Payloads are made and read only where a release is frozen or loaded: listing the releases
# (every `check`) needs none of it.
if TYPE_CHECKING:
    from protokit.core.descriptors import Image
    from protokit.evolution.fixtures import Fixture

RELEASES_DIR = "releases"
IMAGE_FILE = "image.binpb"
JSON_IMAGE_SUFFIX = ".json"
"""What ``buf build -o`` writes buf's JSON form of an image to (every other name: binary)."""
IMAGE_SUFFIXES = (".binpb", ".bin", ".pb", ".desc", ".protoset", JSON_IMAGE_SUFFIX)
"""Names an image file usually ends with (a baseline named so is taken for one)."""
METADATA_FILE = "release.json"
FIXTURES_DIR = "fixtures"
METADATA_FORMAT = 1
_SEMVER = re.compile(r"(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})\.(0|[1-9][0-9]{0,17})", re.ASCII)
_MAX_METADATA = 16 * 1024 * 1024


@total_ordering
@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _SEMVER.fullmatch(text)
        if not match:
            shown = text[:40] + ("..." if len(text) > 40 else "")
            raise UsageError(
                f"release version {shown!r} is not MAJOR.MINOR.PATCH in ASCII digits, each "
                "part at most 18 digits (for example 1.0.0)"
            )
        return cls(int(match.group(1)), int(match.group(2)), int(match.group(3)))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return (self.major, self.minor, self.patch) < (other.major, other.minor, other.patch)

    def bump(self, part: str) -> Version:
        if part == "major":
            return Version(self.major + 1, 0, 0)
        if part == "minor":
            return Version(self.major, self.minor + 1, 0)
        if part == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        return self

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


@dataclass(frozen=True)
class Release:
    """A frozen baseline: its image and fixtures, read back and verified against its hashes."""

    version: str
    folder: str  # relative to the workspace root, for messages and findings
    image: Image
    fixtures: tuple[Fixture, ...]


def releases_root(ws: Workspace) -> Path:
    return ws.path(ws.settings.fixtures_out) / RELEASES_DIR


def release_image_path(ws: Workspace, version: str) -> Path:
    """The descriptor image frozen with ``version``."""
    return releases_root(ws) / version / IMAGE_FILE


def list_releases(ws: Workspace) -> list[str]:
    """Versions frozen under ``compat/releases``, oldest first (other folders are ignored)."""
    root = releases_root(ws)
    if not root.is_dir():
        return []
    found = [p.name for p in root.iterdir() if p.is_dir() and _SEMVER.fullmatch(p.name)]
    return sorted(found, key=Version.parse)


def latest_release(ws: Workspace) -> str | None:
    versions = list_releases(ws)
    return versions[-1] if versions else None


def check_new_release(ws: Workspace, version: str) -> Path:
    """The folder ``version`` would be frozen in; refused when it exists or is not newer than
    the latest release."""
    wanted = Version.parse(version)
    target = releases_root(ws) / version
    if target.exists() or target.is_symlink():
        raise ProtokitError(
            f"release {version} already exists; releases are frozen — choose a new version",
            path=_rel(ws, target),
        )
    latest = latest_release(ws)
    if latest is not None and not Version.parse(latest) < wanted:
        raise UsageError(f"release {version} must be newer than the latest release {latest}")
    return target


def freeze_release(ws: Workspace, version: str, image: Image | None = None) -> Path:
    """Write ``compat/releases/<version>/`` from the current schema; returns the folder."""
    target = check_new_release(ws, version)
    from protokit.evolution.fixtures import BINARY_SUFFIX, JSON_SUFFIX, make_fixtures

    if image is None:
        from protokit.tools.image import build_image

        image = build_image(ws)
    fixtures = make_fixtures(image)
    files: dict[str, bytes] = {IMAGE_FILE: image.serialize()}
    for fixture in fixtures:
        files[f"{FIXTURES_DIR}/{fixture.stem}{BINARY_SUFFIX}"] = fixture.binary
        files[f"{FIXTURES_DIR}/{fixture.stem}{JSON_SUFFIX}"] = fixture.json.encode("utf-8")
    files.update(_conversations(ws, image))
    metadata = {
        "format": METADATA_FORMAT,
        "version": version,
        "protokit": __version__,
        "files": list(image.targets),
        "sha256": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files[METADATA_FILE] = (json.dumps(metadata, indent=2, sort_keys=True) + "\n").encode()
    remove_leftovers(ws.root, [_rel(ws, target.parent)])
    try:
        return write_tree_atomic(ws.root, _rel(ws, target), files)
    except ProtokitError as exc:
        raise ProtokitError(
            f"{exc.message.removesuffix('; nothing was changed')}; nothing was frozen",
            path=exc.path,
        ) from exc


def _release_metadata(folder: Path, rel: str, version: str, ws: Workspace) -> dict[str, str]:
    """``release.json``'s file hashes, read as a bounded regular file and checked for shape."""
    meta_path = folder / METADATA_FILE
    shown = f"{rel}/{METADATA_FILE}"
    if folder.is_dir() and not meta_path.exists() and not meta_path.is_symlink():
        raise ProtokitError(
            f"release {version} has no {METADATA_FILE}; restore it with "
            f"`git checkout -- {shown}` (or remove the folder if it is no release)",
            path=rel,
        )
    if not folder.is_dir():
        known = ", ".join(list_releases(ws)) or "none"
        raise ProtokitError(f"no release {version} (frozen releases: {known})", path=rel)
    try:
        data = read_regular(meta_path, shown=shown, what="release metadata", limit=_MAX_METADATA)
    except (FileNotFoundError, NotADirectoryError) as exc:  # a dangling link
        raise ProtokitError("release metadata is missing; restore it from git", path=shown) from exc
    metadata = load_json(data, shown=shown, what="release metadata")
    if not isinstance(metadata, dict):
        raise ProtokitError(
            "release metadata is not a JSON object; restore it from git", path=shown
        )
    written_format = metadata.get("format")
    if written_format != METADATA_FORMAT:
        raise ProtokitError(
            f"release metadata format {written_format!r:.20} is not the one this protokit "
            f"reads ({METADATA_FORMAT}); restore it from git, or use the protokit that froze it",
            path=shown,
        )
    hashes = metadata.get("sha256")
    if not (
        isinstance(hashes, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in hashes.items())
        and IMAGE_FILE in hashes
    ):
        raise ProtokitError(
            "release metadata is not valid (sha256 must map each file to its digest); "
            "restore it from git",
            path=shown,
        )
    for name in hashes:
        parts = PurePosixPath(name).parts
        if not parts or PurePosixPath(name).is_absolute() or ".." in parts or "\\" in name:
            raise ProtokitError(
                f"release metadata lists a file outside the release ({name[:80]!r}); restore it "
                "from git",
                path=shown,
            )
    return dict(hashes)


def _conversations(ws: Workspace, image: Image) -> dict[str, bytes]:
    """The repository's conversations, frozen with the release: each must parse first."""
    from protokit.conversations.repository import (
        CONVERSATIONS_DIR,
        conversation_files,
        conversations_root,
        read_conversation,
    )
    from protokit.evolution.fixtures import DynamicSchema

    base = conversations_root(ws)
    found = conversation_files(ws.root, base)
    if not found:
        return {}
    schema = DynamicSchema(image)
    frozen: dict[str, bytes] = {}
    for rel in found:
        read_conversation(ws.root, rel, schema)  # a broken case is refused, not frozen
        frozen[f"{CONVERSATIONS_DIR}/{rel[len(base) + 1 :]}"] = ws.path(rel).read_bytes()
    return frozen


def load_release(ws: Workspace, version: str) -> Release:
    """Read a frozen release and verify every file against ``release.json``."""
    from protokit.core.descriptors import load_image_bytes
    from protokit.evolution.fixtures import BINARY_SUFFIX, JSON_SUFFIX, DynamicSchema, Fixture

    Version.parse(version)
    folder = releases_root(ws) / version
    rel = _rel(ws, folder)
    hashes = _release_metadata(folder, rel, version, ws)
    contents: dict[str, bytes] = {}
    for name, digest in sorted(hashes.items()):
        try:
            data = read_regular(folder / name, shown=f"{rel}/{name}", what="release file")
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ProtokitError(
                f"release file is missing; restore it with `git checkout -- {rel}/{name}`",
                path=f"{rel}/{name}",
            ) from exc
        if hashlib.sha256(data).hexdigest() != digest:
            raise ProtokitError(
                "frozen release file was modified or corrupted (its SHA-256 does not match "
                f"{METADATA_FILE}); restore it with `git checkout -- {rel}/{name}`",
                path=f"{rel}/{name}",
            )
        contents[name] = data
    image = load_image_bytes(contents[IMAGE_FILE], f"{rel}/{IMAGE_FILE}")
    schema = DynamicSchema(image)
    fixtures: list[Fixture] = []
    for name in sorted(hashes):
        if not (name.startswith(f"{FIXTURES_DIR}/") and name.endswith(BINARY_SUFFIX)):
            continue
        stem = name[len(FIXTURES_DIR) + 1 : -len(BINARY_SUFFIX)]
        message, _, case = stem.rpartition("/")
        json_name = f"{FIXTURES_DIR}/{stem}{JSON_SUFFIX}"
        if not schema.has_message(message) or json_name not in hashes:
            raise ProtokitError(
                f"fixture does not belong to a message of release {version}",
                path=f"{rel}/{name}",
            )
        binary = contents[name]
        try:
            schema.message_class(message).FromString(binary)
        except Exception as exc:  # DecodeError: the bytes are not a valid payload
            raise ProtokitError(
                f"fixture does not parse as {message} under release {version}'s own "
                f"descriptors: the file is corrupted; restore it with `git checkout -- "
                f"{rel}/{name}`",
                path=f"{rel}/{name}",
            ) from exc
        try:
            text = contents[json_name].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtokitError(
                f"fixture is not UTF-8 text; restore it with `git checkout -- {rel}/{json_name}`",
                path=f"{rel}/{json_name}",
            ) from exc
        fixtures.append(Fixture(message, case, binary, text))
    return Release(version=version, folder=rel, image=image, fixtures=tuple(fixtures))


class ReleaseReader:
    """Frozen releases read and verified once per run: one that needs a release several times
    (as the baseline, for fixture checks, for the compat test module) reads its files once."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._read: dict[str, Release] = {}

    def load(self, version: str) -> Release:
        found = self._read.get(version)
        if found is None:
            found = self._read[version] = load_release(self.ws, version)
        return found


def _rel(ws: Workspace, path: Path) -> str:
    try:
        return path.relative_to(ws.root).as_posix()
    except ValueError:
        return str(path)
