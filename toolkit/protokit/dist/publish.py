"""``protokit publish``: upload built distributions with twine, never over an existing version.

Before anything is uploaded, the index's simple API (PEP 503/691) is asked which files each
distribution already has: a version the index holds is refused (indexes refuse to re-upload a
file, and a second upload of one version under another file name would split it), and a
development version is refused unless asked for. Credentials follow twine's own conventions
(``TWINE_USERNAME``/``TWINE_PASSWORD``, ``~/.pypirc``, keyring).
"""

from __future__ import annotations

import configparser
import email.parser
import os
import re
import subprocess
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version as Pep440

from protokit.core.errors import ProtokitError, UsageError
from protokit.core.workspace import Workspace
from protokit.dist.build import DEFAULT_OUT, artifact_module
from protokit.tools import pypa

PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
PYPI_SIMPLE = "https://pypi.org/simple/"
INDEX_TIMEOUT = 30.0


@dataclass(frozen=True)
class Artifact:
    path: Path
    name: str  # the distribution name from its metadata
    version: str


@dataclass(frozen=True)
class PublishResult:
    uploaded: tuple[str, ...]
    repository: str


def run_publish(
    ws: Workspace,
    files: Sequence[Path],
    *,
    repository_url: str | None = None,
    repository: str | None = None,
    allow_dev: bool = False,
    log: Callable[[str], None] = lambda _: None,
) -> PublishResult:
    if repository_url and repository:
        raise UsageError("pass --repository-url or --repository, not both")
    chosen = list(files) if files else _default_files(ws)
    artifacts = [read_artifact(path) for path in chosen]
    upload_url = repository_url or _pypirc_url(repository) or PYPI_UPLOAD
    for artifact in artifacts:
        parsed = Pep440(artifact.version)
        if (parsed.is_devrelease or parsed.local is not None) and not allow_dev:
            raise UsageError(
                f"{artifact.path.name} is development version {artifact.version}; publish "
                "release versions (`protokit release X.Y.Z`, then build on its tag), or pass "
                "--allow-dev to upload it anyway"
            )
    simple = simple_url(upload_url)
    for name in sorted({a.name for a in artifacts}):
        held = _index_versions(simple, name)
        for artifact in artifacts:
            if artifact.name == name and Pep440(artifact.version) in held:
                raise ProtokitError(
                    f"{name} {artifact.version} is already on the index {simple}; versions are "
                    "immutable: build a new version (a new release, or the next dev version)"
                )
    args = ["--repository-url", upload_url] if not repository else ["--repository", repository]
    log(f"uploading {len(artifacts)} file(s) to {upload_url}")
    proc = pypa.twine_upload(args, [a.path for a in artifacts])
    if proc.returncode != 0:
        raise ProtokitError(f"upload to {upload_url} failed: {_upload_problem(proc)}")
    return PublishResult(tuple(a.path.name for a in artifacts), upload_url)


def read_artifact(path: Path) -> Artifact:
    """Name and version from a wheel's METADATA or an sdist's PKG-INFO."""
    shown = str(path)
    if not path.is_file():
        raise ProtokitError("no such file to publish", path=shown)
    try:
        if path.name.endswith(".whl"):
            with zipfile.ZipFile(path) as archive:
                meta = next(
                    (n for n in archive.namelist() if n.endswith(".dist-info/METADATA")), None
                )
                if meta is None:
                    raise ProtokitError("wheel has no .dist-info/METADATA", path=shown)
                text = archive.read(meta).decode("utf-8")
        elif path.name.endswith(".tar.gz"):
            with tarfile.open(path) as archive:
                member = next(
                    (
                        m
                        for m in archive.getmembers()
                        if m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")
                    ),
                    None,
                )
                stream = archive.extractfile(member) if member is not None else None
                if stream is None:
                    raise ProtokitError("sdist has no PKG-INFO", path=shown)
                text = stream.read().decode("utf-8")
        else:
            raise ProtokitError("not a wheel (.whl) or sdist (.tar.gz)", path=shown)
    except (zipfile.BadZipFile, tarfile.TarError, OSError, UnicodeDecodeError) as exc:
        raise ProtokitError(f"not a readable distribution file: {exc}", path=shown) from exc
    message = email.parser.Parser().parsestr(text, headersonly=True)
    name, version = message.get("Name"), message.get("Version")
    if not name or not version:
        raise ProtokitError("distribution metadata has no Name or Version", path=shown)
    return Artifact(path, str(canonicalize_name(name)), version)


def simple_url(upload_url: str) -> str:
    """The simple API beside an upload URL: PyPI's own, or ``<index>/simple/`` (pypiserver,
    devpi and most private indexes take uploads at their root or ``/legacy/``)."""
    parsed = urllib.parse.urlsplit(upload_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UsageError(f"repository URL {upload_url!r} is not an http(s) URL")
    if parsed.netloc in ("upload.pypi.org", "pypi.org"):
        return PYPI_SIMPLE
    if parsed.netloc == "test.pypi.org":
        return "https://test.pypi.org/simple/"
    path = re.sub(r"/(legacy|simple)?/?$", "", parsed.path)
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, f"{path}/simple/", "", ""))


_FILE_VERSION = re.compile(r"-(?P<version>[^-/]+?)(?:-[^/]*\.whl|\.tar\.gz|\.zip)$")


def _index_versions(simple: str, name: str) -> set[Pep440]:
    """Versions of ``name`` the index already has, from its simple page's file names."""
    url = f"{simple}{name}/"
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=INDEX_TIMEOUT) as response:
            page = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return set()  # the index has never seen this distribution
        if exc.code in (401, 403):
            raise ProtokitError(
                f"the index refused to list {name} ({exc.code} {exc.reason}) at {url}; check "
                "the URL and that the credentials may read it"
            ) from exc
        raise ProtokitError(f"the index answered {exc.code} {exc.reason} at {url}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ProtokitError(f"the index at {simple} is not reachable: {reason}") from exc
    versions: set[Pep440] = set()
    for href in re.findall(r'href="([^"#]+)', page):
        filename = urllib.parse.unquote(href.rsplit("/", 1)[-1])
        match = _FILE_VERSION.search(filename)
        if match:
            try:
                versions.add(Pep440(match.group("version")))
            except ValueError:
                continue
    return versions


def _default_files(ws: Workspace) -> list[Path]:
    folder = ws.root / DEFAULT_OUT
    files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
    if not files:
        raise UsageError(f"nothing to publish in {DEFAULT_OUT}/; run `protokit build` first")
    foreign = [p.name for p in files if artifact_module(p.name) is None]
    if foreign:
        raise ProtokitError(
            f"{DEFAULT_OUT}/ holds files that are not wheels or sdists ({', '.join(foreign[:3])}); "
            "move them away or name the files to publish",
            path=DEFAULT_OUT,
        )
    return files


def _pypirc_url(repository: str | None) -> str | None:
    """The repository URL of a ``~/.pypirc`` section, for the existing-version check."""
    if repository is None:
        return None
    rc = Path(os.environ.get("TWINE_CONFIG_FILE", Path.home() / ".pypirc"))
    parser = configparser.RawConfigParser()
    try:
        parser.read(rc, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ProtokitError(f"cannot read {rc}: {exc}") from exc
    if parser.has_option(repository, "repository"):
        return parser.get(repository, "repository")
    if repository == "pypi":
        return PYPI_UPLOAD
    if repository == "testpypi":
        return "https://test.pypi.org/legacy/"
    raise UsageError(f"repository {repository!r} is not a section of {rc} with a repository URL")


def _upload_problem(proc: subprocess.CompletedProcess[str]) -> str:
    line = pypa.last_line(proc)
    if "403" in line or "401" in line:
        return f"{line} (check TWINE_USERNAME/TWINE_PASSWORD or ~/.pypirc)"
    return line
