"""A compat-test module generated before protokit's subsystems became packages still runs.

Contract repositories commit the module ``protokit compat-tests`` generates; those generated
before the reshape import ``protokit.compattests.ReleaseSuite``. ``data/`` holds such a module,
byte for byte as protokit generated it for this repository's release 1.0.0.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.support import REPO

OLD_MODULE = Path(__file__).resolve().parent / "data" / "compat_tests_before_reshape.py"


def test_a_compat_test_module_generated_before_the_reshape_still_passes(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("buf.yaml", "pyproject.toml"):
        shutil.copy2(REPO / name, root / name)
    shutil.copytree(REPO / "contracts", root / "contracts")
    shutil.copytree(REPO / "compat", root / "compat")
    module = root / "tests/compat/test_compat_releases.py"
    module.parent.mkdir(parents=True)
    shutil.copy2(OLD_MODULE, module)
    assert "from protokit.compattests import ReleaseSuite" in module.read_text(encoding="utf-8")

    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(module)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout, proc.stdout[-3000:]
