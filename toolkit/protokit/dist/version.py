"""The stub distribution's version, derived from the frozen releases and git.

- the contracts equal the latest frozen release: that release's version (``1.2.0``);
- otherwise the next version ``protokit diff`` implies against it, as a development version:
  ``1.3.0.devN`` after an additive change, ``2.0.0.devN`` after a breaking one, ``1.2.1.devN``
  after a cosmetic one, with N the commits since the release's tag (or, without the tag, since
  the commit that froze it); ``local=True`` adds ``+g<sha>``;
- no release yet: ``0.1.0.devN`` with N the commits so far;
- ``--version`` overrides, and a version smaller than the changes imply is refused as
  ``protokit release`` refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion
from packaging.version import Version as Pep440

from protokit.core.descriptors import Image
from protokit.core.errors import UsageError
from protokit.core.workspace import Workspace
from protokit.evolution.apidiff import diff_images
from protokit.evolution.release import Version, latest_release, load_release, releases_root
from protokit.tools import git

FIRST_VERSION = Version(0, 1, 0)


@dataclass(frozen=True)
class DerivedVersion:
    version: str
    reason: str  # one line for the user: where the number came from


def parse_pep440(text: str) -> Pep440:
    try:
        return Pep440(text)
    except InvalidVersion as exc:
        raise UsageError(
            f"version {text!r} is not a valid PEP 440 version (for example 1.2.0 or 1.3.0.dev4)"
        ) from exc


def release_tag(ws: Workspace, version: str) -> str:
    return ws.settings.release_tag.replace("{version}", version)


def derive_version(
    ws: Workspace, image: Image, requested: str | None = None, *, local: bool = False
) -> DerivedVersion:
    """The version to build: ``requested`` if it is not smaller than the changes imply."""
    latest = latest_release(ws)
    top = git.toplevel(ws.root)
    if latest is None:
        implied, base = FIRST_VERSION, None
        bump = "none"
        detail = "no release is frozen yet"
    else:
        api = diff_images(
            load_release(ws, latest).image,
            image,
            f"release {latest}",
            latest,
            None,
            ws.settings.unstable_packages,
        )
        bump = api.bump
        implied = Version.parse(latest).bump(bump)
        base = latest
        detail = (
            f"the changes since {latest} are {bump} ({api.changes[0].detail})"
            if api.changes
            else f"the contracts equal release {latest}"
        )
    if requested is not None:
        wanted = parse_pep440(requested)
        if wanted.release[:3] < (implied.major, implied.minor, implied.patch):
            raise UsageError(
                f"version {requested} is too small: {detail}; build {implied} or later "
                "(see `protokit diff`)"
            )
        return DerivedVersion(str(wanted), "--version")
    if base is not None and bump == "none":
        return DerivedVersion(base, detail)
    count = _commits_since(ws, top, base)
    version = f"{implied}.dev{count}"
    if local and top is not None:
        version += f"+g{git.head(ws.root)[:12]}"
    return DerivedVersion(version, f"{detail}; {count} commit(s) since")


def _commits_since(ws: Workspace, top: Path | None, base: str | None) -> int:
    if top is None:
        return 0
    if base is None:
        return git.commits_since(ws.root, None)
    tag = git.ref_commit(ws.root, f"refs/tags/{release_tag(ws, base)}")
    if tag is None:
        folder = (releases_root(ws) / base).relative_to(ws.root).as_posix()
        tag = git.last_commit_touching(ws.root, folder)
    return git.commits_since(ws.root, tag) if tag else 0
