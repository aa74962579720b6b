"""gen from a non-editable install: templates come from the installed package, output is the
same as from the development checkout. (One slow test: it builds and installs protokit.)"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from tests.gen.helpers import REPO, copy_example, env_with, snapshot
from tests.gen.test_typing import CONSUMER

TIMEOUT = 300


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def test_gen_from_a_non_editable_install_matches_the_checkout(
    tmp_path: Path, example_ws: Path
) -> None:
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env_with())
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        tmp_path,
        env_with(),
    ).stdout.strip()
    # Dependencies (grpcio-tools, buf, mypy-protobuf, ruff...) come from this test run's
    # environment through a .pth line; protokit itself is installed into the new venv from a
    # freshly built wheel. The editable finder of the checkout is not loaded from there.
    deps = sysconfig.get_path("purelib")
    Path(purelib, "deps.pth").write_text(deps + "\n")
    # Build from a copy of the sources: an in-tree build leaves build/ in the checkout, and a
    # stale build/ is copied into later wheels.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for folder in ("toolkit", "templates"):
        shutil.copytree(
            REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "--target",
            purelib,
            str(source),
        ],
        tmp_path,
        env_with(),
    )
    assert built.returncode == 0, built.stdout + built.stderr
    ws = copy_example(tmp_path / "ws")
    env = env_with({"PROTOKIT_BUF": str(Path(sys.executable).parent / "buf")})
    env.pop("PYTHONPATH", None)
    where = _run(
        [str(python), "-c", "import protokit.core.templates as t; print(t._builtin_root())"],
        ws,
        env,
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip().startswith(purelib), where.stdout
    assert not where.stdout.strip().startswith(str(REPO))
    result = _run([str(python), "-m", "protokit", "gen"], ws, env)
    assert result.returncode == 0, result.stderr
    assert snapshot(ws) == snapshot(example_ws)


def test_an_editable_install_of_the_stubs_imports_and_type_checks(
    tmp_path: Path, example_ws: Path
) -> None:
    # `pip install -e gen/python` is how the repository's own code gets the stubs: it must leave
    # a plain .pth entry (no import hook) so mypy --strict follows it, and imports must work.
    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env_with())
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        tmp_path,
        env_with(),
    ).stdout.strip()
    Path(purelib, "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    stubs = tmp_path / "stubs"
    shutil.copytree(example_ws / "gen/python", stubs)
    installed = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--quiet",
            "-e",
            str(stubs),
        ],
        tmp_path,
        env_with(),
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    pth = [p.read_text() for p in Path(purelib).glob("__editable__*acme_contracts*.pth")]
    assert [text.strip() for text in pth] == [str(stubs)]  # a path entry, not an import hook
    env = env_with()
    env.pop("PYTHONPATH", None)
    env.pop("MYPYPATH", None)
    imported = _run(
        [
            str(python),
            "-c",
            "from acme.user.v1 import user_service_pb2_grpc as m; print(m.__file__)",
        ],
        tmp_path,
        env,
    )
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == str(stubs / "acme/user/v1/user_service_pb2_grpc.py")
    shutil.copy(CONSUMER, tmp_path / "consumer.py")
    checked = _run(
        [str(python), "-m", "mypy", "--strict", "--no-incremental", "consumer.py"], tmp_path, env
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
