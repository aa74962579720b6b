"""A copy of the example contract repository in a real git repository, a real package index
(pypiserver) on 127.0.0.1 with an htpasswd file, and one fresh consumer virtual environment.

Everything expensive is built once per session and shared: the repository, one build, one
upload, and one virtual environment that installed ``acme-contracts`` from the index.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parents[2]
CONSTRAINTS = PROJECT / "constraints.txt"
USER, PASSWORD = "alice", "s3cret-pass"
COPIED = ("buf.yaml", "pyproject.toml", "LICENSE", ".gitignore", "contracts", "compat")
INDEX_START_TIMEOUT = 30.0
VERSION = "1.0.0"  # the example repository's frozen release: an unchanged tree builds it


def tool_env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("PROTOKIT_DEBUG", "SOURCE_DATE_EPOCH", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    for name in [n for n in env if n.startswith("TWINE_")]:
        env.pop(name)
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    env.update(extra)
    return env


def run(
    args: list[str], cwd: Path, timeout: float = 240, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        capture_output=True,
        text=True,
        env=tool_env(**env),
        timeout=timeout,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def one_error_line(proc: subprocess.CompletedProcess[str], code: int = 1) -> str:
    """The single ``protokit: error:`` line a refusal prints (and no traceback)."""
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("protokit: error:")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


@dataclass
class Repo:
    root: Path

    def protokit(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run([str(BIN / "protokit"), *args], self.root, **env)

    def ok(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        proc = self.protokit(*args, **env)
        assert proc.returncode == 0, proc.stderr
        return proc

    def git(self, *args: str) -> str:
        proc = run(["git", *args], self.root)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip()

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def build(self, *args: str) -> list[Path]:
        """``protokit build`` and the files it printed (absolute paths)."""
        proc = self.ok("build", *args)
        return [self.root / line for line in proc.stdout.split()]

    def settings(self, text: str) -> None:
        pyproject = self.root / "pyproject.toml"
        body = pyproject.read_text(encoding="utf-8")
        pyproject.write_text(body.replace("[tool.protokit]\n", f"[tool.protokit]\n{text}\n"))


def copy_example(dest: Path) -> Repo:
    """The example contracts, their committed stubs and releases, in a new git repository."""
    dest.mkdir(parents=True)
    for name in COPIED:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, dest / name)
        else:
            shutil.copy2(source, dest / name)
    shutil.copytree(
        PROJECT / "gen" / "python",
        dest / "gen" / "python",
        ignore=shutil.ignore_patterns("*.egg-info", "build", "__pycache__"),
    )
    compat_tests = PROJECT / "tests" / "compat"
    shutil.copytree(
        compat_tests, dest / "tests" / "compat", ignore=shutil.ignore_patterns("__pycache__")
    )
    repo = Repo(dest)
    repo.git("init", "-q", "-b", "main")
    repo.commit("the example contracts")
    return repo


def shared_once(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], None]
) -> Path:
    """A folder made once for the whole run, by whichever pytest-xdist worker asks first (the
    others wait for it): ``make(folder)`` fills it. Suited to what outlives no process (a
    repository, a virtual environment), not to a server."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's folder, shared by the workers
    folder = base / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held at most as long as `make` (its commands time out)
        try:
            if not (folder / ".ready").exists():
                make(folder)
                (folder / ".ready").write_text("")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return folder


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The shared example repository, built once (`built`); tests that change it work on
    `fresh_example` instead."""

    def make(folder: Path) -> None:
        copy_example(folder / "repo").build()

    return Repo(shared_once(tmp_path_factory, "example", make) / "repo")


@pytest.fixture
def fresh_example(example: Repo, tmp_path: Path) -> Repo:
    """A private copy of the example repository (history included)."""
    dest = tmp_path / "repo"
    shutil.copytree(
        example.root, dest, symlinks=True, ignore=shutil.ignore_patterns("dist*", "*.lock")
    )
    return Repo(dest)


@pytest.fixture(scope="session")
def built(example: Repo) -> list[Path]:
    """The example's one build: the wheel and the sdist of acme-contracts 1.0.0."""
    files = sorted((example.root / "dist").iterdir())
    assert [p.name for p in files] == [
        f"acme_contracts-{VERSION}-py3-none-any.whl",
        f"acme_contracts-{VERSION}.tar.gz",
    ]
    return files


def wheel_of(files: list[Path]) -> Path:
    return next(p for p in files if p.suffix == ".whl")


def wheel_text(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(suffix))
        return archive.read(name).decode("utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Index:
    url: str  # the upload URL, and <url>/simple/ the simple API
    packages: Path

    @property
    def simple(self) -> str:
        return f"{self.url}simple/"


def _htpasswd(path: Path) -> None:
    with warnings.catch_warnings():  # passlib imports the crypt module Python 3.13 drops
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile

    table = HtpasswdFile(str(path), new=True)
    table.set_password(USER, PASSWORD)
    table.save()


@contextlib.contextmanager
def start_index(folder: Path) -> Iterator[Index]:
    """pypiserver on 127.0.0.1: anyone may download, uploads need alice's password."""
    packages = folder / "packages"
    packages.mkdir(parents=True)
    htpasswd = folder / "htpasswd"
    _htpasswd(htpasswd)
    port = free_port()
    log = (folder / "server.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pypiserver",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
            "-P",
            str(htpasswd),
            "-a",
            "update",
            str(packages),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=tool_env(),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + INDEX_START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}simple/", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"pypiserver did not start: {(folder / 'server.log').read_text()}")
                time.sleep(0.2)
        yield Index(url, packages)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Index]:
    """This worker's package index, stopped at the end of the session."""
    with start_index(tmp_path_factory.mktemp("index")) as started:
        yield started


def publish(repo: Repo, index: Index, *args: str) -> subprocess.CompletedProcess[str]:
    return repo.protokit(
        "publish",
        "--repository-url",
        index.url,
        *args,
        TWINE_USERNAME=USER,
        TWINE_PASSWORD=PASSWORD,
    )


@pytest.fixture(scope="session")
def published(example: Repo, built: list[Path], index: Index) -> Index:
    proc = publish(example, index)
    assert proc.returncode == 0, proc.stderr
    return index


def pip_index_args(index: Index) -> list[str]:
    """The local index first; the runtime dependencies from PyPI (or pip's configured mirror),
    at the project's pins."""
    return [
        "--index-url",
        index.simple,
        "--extra-index-url",
        "https://pypi.org/simple/",
        "-c",
        str(CONSTRAINTS),
    ]


@dataclass(frozen=True)
class Venv:
    root: Path

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def run(self, *args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return run([str(self.python), *args], cwd, timeout=timeout)

    def pip(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        """The project's pip acting on this environment (``pip --python``), so the new
        environment needs no pip of its own."""
        return run([sys.executable, "-m", "pip", "--python", str(self.python), *args], cwd)


@pytest.fixture(scope="session")
def consumer(example: Repo, built: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A brand-new virtual environment that installed acme-contracts[typing] from a package
    index (made once per run; mypy runs from the project's environment with
    ``--python-executable`` pointing here, so it needs no mypy or pip of its own)."""

    def make(folder: Path) -> None:
        made = run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")], folder)
        assert made.returncode == 0, made.stderr
        with start_index(folder / "index") as index:
            proc = publish(example, index, *map(str, built))
            assert proc.returncode == 0, proc.stderr
            proc = Venv(folder / "venv").pip(
                "install",
                "--quiet",
                *pip_index_args(index),
                f"acme-contracts[typing]=={VERSION}",
                cwd=folder,
            )
            assert proc.returncode == 0, proc.stderr

    return Venv(shared_once(tmp_path_factory, "consumer", make) / "venv")


SHOP_BUF_YAML = """\
version: v2
modules:
  - path: proto
lint:
  use:
    - STANDARD
breaking:
  use:
    - FILE
"""

SHOP_PROTO = """\
syntax = "proto3";

package shop.v1;

// Item is one thing for sale.
message Item {
  string id = 1;
  int64 price = 2;
}

// ShopService sells items.
service ShopService {
  // GetItem returns one item.
  rpc GetItem(GetItemRequest) returns (GetItemResponse);
}

// GetItemRequest names an item.
message GetItemRequest {
  string id = 1;
}

// GetItemResponse carries an item.
message GetItemResponse {
  Item item = 1;
}
"""
SHOP = "proto/shop/v1/shop.proto"


@pytest.fixture(scope="module")
def shop_pristine(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """A one-file contract repository with its stubs generated and committed."""
    root = tmp_path_factory.mktemp("shop") / "repo"
    (root / "proto/shop/v1").mkdir(parents=True)
    (root / "buf.yaml").write_text(SHOP_BUF_YAML)
    (root / SHOP).write_text(SHOP_PROTO)
    (root / ".gitignore").write_text("/dist/\n")
    repo = Repo(root)
    repo.git("init", "-q", "-b", "main")
    repo.ok("gen")
    repo.commit("shop contracts")
    return repo


@pytest.fixture
def shop(shop_pristine: Repo, tmp_path: Path) -> Repo:
    dest = tmp_path / "shop"
    shutil.copytree(shop_pristine.root, dest, symlinks=True)
    return Repo(dest)


def edit(repo: Repo, old: str, new: str, rel: str = SHOP) -> None:
    path = repo.root / rel
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


@pytest.fixture(scope="module")
def shop_released_pristine(shop_pristine: Repo, tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The shop repository after `protokit release 1.0.0` (committed and tagged v1.0.0)."""
    dest = tmp_path_factory.mktemp("shop-released") / "repo"
    shutil.copytree(shop_pristine.root, dest, symlinks=True)
    repo = Repo(dest)
    repo.ok("release", "1.0.0")
    return repo


@pytest.fixture
def released(shop_released_pristine: Repo, tmp_path: Path) -> Repo:
    dest = tmp_path / "released"
    shutil.copytree(shop_released_pristine.root, dest, symlinks=True)
    return Repo(dest)
