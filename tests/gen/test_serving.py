"""The shared serving module: gen creates it once from templates, and this repository's own
services/common is exactly what those templates render."""

from __future__ import annotations

from pathlib import Path

import pytest

from protokit.core.templates import environment, render
from protokit.gen.skeletons import SERVING_FILES, serving_paths

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", [n for n in SERVING_FILES if n != "__init__"])
def test_services_common_is_the_serving_template_rendered(name: str) -> None:
    env = environment(ROOT / "templates")
    template = serving_paths("services")[f"services/common/{name}.py"]
    rendered = render(env, template, serving="services.common")
    assert rendered == (ROOT / "services/common" / f"{name}.py").read_text(encoding="utf-8")
