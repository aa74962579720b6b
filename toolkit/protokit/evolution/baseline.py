"""Baselines: what a change is compared against, as a compiled image plus a file buf can read.

``--against`` accepts, in this order: a frozen release version (``1.0.0``), a wheel built by
``protokit build`` or its distribution spec (``acme-contracts==1.0.0``: the image it carries), a
descriptor image file (``base.binpb``), or a git commit, branch or tag (``main``,
``origin/main``, ``v1.2.0``, ``HEAD~1``). A git baseline is exported with ``git archive`` into a
temporary folder and built with buf there, so uncommitted work in the checkout is never touched.
In a shallow clone a missing base is fetched (``git fetch --depth``) when a remote exists;
otherwise the error says what to run.
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from protokit.core.descriptors import Image, is_json_image, load_image_file
from protokit.core.errors import ProtokitError, UsageError
from protokit.core.workspace import BUF_YAML, Workspace
from protokit.evolution.release import (
    IMAGE_FILE,
    IMAGE_SUFFIXES,
    Release,
    ReleaseReader,
    latest_release,
    list_releases,
    release_image_path,
)
from protokit.tools.git import message, output, run_git
from protokit.tools.image import build_image

FETCH_DEPTH = 200
MAX_REF_LENGTH = 1024


@dataclass(frozen=True)
class Baseline:
    """A compiled baseline: ``label`` for messages, ``image_path`` for `buf breaking --against`."""

    label: str
    image: Image
    image_path: Path
    release: Release | None = None


@contextmanager
def open_baseline(
    ws: Workspace,
    against: str,
    current: Image | None = None,
    releases: ReleaseReader | None = None,
) -> Iterator[Baseline]:
    """Resolve ``against`` to a baseline; temporary files live until the block ends.
    ``releases``: where a release baseline is read (shared with the run's other checks)."""
    if not against.strip():
        raise UsageError("--against is empty; pass a release, an image file or a git ref")
    if len(against) > MAX_REF_LENGTH or any(ord(c) < 32 for c in against):
        shown = against[:40] + ("..." if len(against) > 40 else "")
        raise UsageError(
            f"--against {shown!r} is not a release, an image file or a git ref (too long, or "
            "holding control characters)"
        )
    if against in list_releases(ws):
        release = (releases or ReleaseReader(ws)).load(against)
        baseline = Baseline(
            f"release {against}",
            release.image,
            release_image_path(ws, against),
            release,
        )
        _same_module(baseline, current)
        yield baseline
        return
    from protokit.dist.wheel import download_spec, is_wheel_baseline, wheel_image

    if is_wheel_baseline(against):
        with tempfile.TemporaryDirectory(prefix="protokit-wheel-") as tmp:
            wheel = Path(against) if against.endswith(".whl") else None
            if wheel is not None and not wheel.is_file() and (ws.root / wheel).is_file():
                wheel = ws.root / wheel
            wheel = wheel or download_spec(ws, against, Path(tmp))
            image = wheel_image(wheel, against)
            baseline = Baseline(f"wheel {against}", image, Path(tmp) / IMAGE_FILE)
            baseline.image_path.write_bytes(image.serialize())
            _same_module(baseline, current)
            yield baseline
            return
    as_file = Path(against)
    for candidate in (as_file, ws.root / as_file):
        if _names_a_file(candidate):
            image = load_image_file(candidate)
            with tempfile.TemporaryDirectory(prefix="protokit-image-") as tmp:
                path = candidate.resolve()
                if not _binary_image(path):  # buf's JSON form: buf breaking gets it binary
                    path = Path(tmp) / IMAGE_FILE
                    path.write_bytes(image.serialize())
                baseline = Baseline(f"image {against}", image, path)
                _same_module(baseline, current)
                yield baseline
                return
    with tempfile.TemporaryDirectory(prefix="protokit-baseline-") as tmp:
        try:
            baseline = _git_baseline(ws, against, Path(tmp))
        except ProtokitError as exc:
            raise _not_found(ws, against) or exc from exc
        _same_module(baseline, current)
        yield baseline


def _binary_image(path: Path) -> bool:
    """Whether the image file at ``path`` (read once already) is binary, as ``buf breaking
    --against <file>#format=binpb`` reads it."""
    try:
        with open(path, "rb") as handle:
            return not is_json_image(handle.read(64))
    except OSError as exc:  # gone or changed since it was read
        raise ProtokitError(f"cannot read: {exc.strerror or exc}", path=str(path)) from exc


def _names_a_file(path: Path) -> bool:
    """Whether ``path`` names something other than a folder (a FIFO or device included: it is
    then named as such by the image reader, not read, and not taken for a git ref)."""
    try:
        return path.exists() and not path.is_dir()
    except OSError:  # a name too long for the file system is no file
        return False


_VERSION_LIKE = re.compile(r"v?\d+\.\d+\.\d+\S*")


def _not_found(ws: Workspace, against: str) -> ProtokitError | None:
    """A clearer error for a baseline that looks like a release or an image file but is none."""
    if _VERSION_LIKE.fullmatch(against) and against.lstrip("v") not in list_releases(ws):
        frozen = ", ".join(list_releases(ws)) or "none yet"
        return ProtokitError(
            f"baseline {against!r} is not a frozen release or a git tag here (frozen releases: "
            f"{frozen}); pass one of them, an image file or a git ref"
        )
    if against.endswith(IMAGE_SUFFIXES):
        return ProtokitError(f"baseline image file {against!r} does not exist", path=against)
    return None


def default_against(ws: Workspace) -> str | None:
    """The baseline used when none is given: the latest frozen release, if any."""
    return latest_release(ws)


def _git_baseline(ws: Workspace, ref: str, tmp: Path) -> Baseline:
    top = run_git(["rev-parse", "--show-toplevel"], ws.root)
    if top.returncode != 0:
        raise ProtokitError(
            f"baseline {ref!r} is not a frozen release or an image file, and {ws.root} is not "
            "in a git repository"
        )
    toplevel = Path(output(top))
    if ref.startswith("-"):
        raise ProtokitError(f"baseline {ref!r} is not a valid git ref")
    sha = _resolve(toplevel, ref)
    subdir = ws.root.resolve().relative_to(toplevel.resolve()).as_posix()
    paths = [] if subdir == "." else ["--", subdir]
    export = tmp / "tree"
    export.mkdir()
    listing = run_git(["ls-tree", "--name-only", sha, *paths], toplevel)
    if listing.returncode != 0 or listing.stdout.strip():  # an empty tree exports nothing
        archive = run_git(["archive", "--format=tar", sha, *paths], toplevel)
        if archive.returncode != 0:
            raise ProtokitError(
                f"could not export baseline {ref!r} with git archive: {message(archive)}"
            )
        import tarfile  # only a git baseline is unpacked

        try:
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(export, filter="data")
        except (tarfile.TarError, OSError) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ProtokitError(
                f"could not unpack baseline {ref!r} from git archive: {detail}"
            ) from exc
    base_root = export if subdir == "." else export / subdir
    short = sha[:12]
    if not (base_root / BUF_YAML).is_file():
        raise ProtokitError(
            f"baseline {ref} ({short}) has no {BUF_YAML} at "
            f"{'the repository root' if subdir == '.' else subdir}: there is nothing to compare "
            "with yet; pass an older ref or a frozen release"
        )
    try:
        image = build_image(Workspace(root=base_root, settings=ws.settings))
    except ProtokitError as exc:
        raise ProtokitError(f"baseline {ref} ({short}) does not build: {exc}") from exc
    image_path = tmp / IMAGE_FILE
    image_path.write_bytes(image.serialize())
    return Baseline(f"git {ref} ({short})", image, image_path)


def _resolve(toplevel: Path, ref: str) -> str:
    found = _verify(toplevel, ref)
    if found:
        return found
    if run_git(["rev-parse", "--verify", "--quiet", "HEAD"], toplevel).returncode != 0:
        raise ProtokitError(
            f"no baseline: HEAD has no commits yet, so {ref!r} does not exist; "
            "commit the contracts first, or pass --against a frozen release or an image file"
        )
    shallow = output(run_git(["rev-parse", "--is-shallow-repository"], toplevel)) == "true"
    count = output(run_git(["rev-list", "--count", "HEAD"], toplevel))
    if not shallow and count == "1" and re.match(r"HEAD[~^]", ref, re.IGNORECASE):
        raise ProtokitError(
            f"no baseline: HEAD is the repository's first commit, so {ref!r} does not exist; "
            "compare against a branch or tag, or freeze a release with `protokit release`"
        )
    remotes = output(run_git(["remote"], toplevel)).split()
    if remotes:
        found = _fetch(toplevel, ref, remotes)
        if found:
            return found
    hint = (
        "this is a shallow clone: run `git fetch --unshallow` (or `git fetch origin "
        "<branch>`), and in GitHub Actions give actions/checkout `fetch-depth: 0`"
        if shallow
        else "check the name with `git branch -a` and `git tag`"
        + ("" if remotes else "; this repository has no remote to fetch it from")
    )
    raise ProtokitError(f"baseline {ref!r} is not a commit, branch or tag here; {hint}")


def _verify(toplevel: Path, ref: str) -> str | None:
    proc = run_git(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"], toplevel
    )
    return output(proc) if proc.returncode == 0 and output(proc) else None


def _fetch(toplevel: Path, ref: str, remotes: list[str]) -> str | None:
    """Fetch ``ref`` (``origin/main``, ``main`` or a tag) from its remote; its sha or None."""
    remote, name = remotes[0], ref
    for candidate in remotes:
        if ref.startswith(candidate + "/"):
            remote, name = candidate, ref[len(candidate) + 1 :]
    refspecs = [
        f"+refs/heads/{name}:refs/remotes/{remote}/{name}",
        f"+refs/tags/{name}:refs/tags/{name}",
    ]
    for refspec in refspecs:
        proc = run_git(["fetch", "--quiet", f"--depth={FETCH_DEPTH}", remote, refspec], toplevel)
        if proc.returncode == 0:
            found = _verify(toplevel, ref) or _verify(toplevel, f"{remote}/{name}")
            if found:
                return found
    return None


def _same_module(baseline: Baseline, current: Image | None) -> None:
    """Refuse a baseline that shares neither a package nor a file with the current module (a
    package renamed where its files stay is this module's own change, and breaks as such)."""
    if current is None:
        return
    old = {f.package for f in baseline.image.target_files()}
    new = {f.package for f in current.target_files()}
    if old and new and not old & new and not set(baseline.image.targets) & set(current.targets):
        raise ProtokitError(
            f"baseline {baseline.label} is from another module: it declares "
            f"{', '.join(sorted(old)[:3])}{', ...' if len(old) > 3 else ''} and none of this "
            f"module's packages ({', '.join(sorted(new)[:3])}{', ...' if len(new) > 3 else ''}); "
            "pass a baseline of this module"
        )
