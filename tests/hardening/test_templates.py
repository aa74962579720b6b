"""Class 3: a repository's templates render in a sandbox, within a time budget.

Each attack or bug in an overriding template is one error naming the template file and line;
nothing runs outside the sandbox and nothing is written.
"""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from protokit.core import templates
from tests.hardening.conftest import Case

GRPC = "templates/gen/pb2_grpc.py.j2"
COMPAT = "templates/compat/test_compat_releases.py.j2"

ATTACKS = {
    "globals": "{{ cycler.__init__.__globals__.os.system('touch OUTSIDE/pwned') }}",
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "self-include": "{% include 'TEMPLATE' %}",
    "recursive-macro": "{% macro m(n) %}{{ m(n) }}{{ m(n) }}{% endmacro %}{{ m(1) }}",
    "endless-loop": "{% for a in range(99999) %}{% for b in range(99999) %}{{ b }}"
    "{% endfor %}{% endfor %}",
    "huge-string": "{{ 'x' * 10**9 }}",
    "huge-power": "{{ 9 ** 99999999 }}",
    "bug": "# line 1\n{{ 1 / 0 }}",
    "undefined": "# line 1\n# line 2\n{{ nothing_here }}",
}


@pytest.mark.parametrize("template", [GRPC, COMPAT])
@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_hostile_template_is_one_error_naming_it(case: Case, template: str, attack: str) -> None:
    name = template.removeprefix("templates/")
    body = ATTACKS[attack].replace("OUTSIDE", str(case.outside)).replace("TEMPLATE", name)
    case.write(template, body)
    case.freeze()
    args = ("gen", "--force") if template == GRPC else ("compat-tests",)

    line = case.refused(case.run(*args, env={"PROTOKIT_TEMPLATE_TIMEOUT": "3"}), 1, template)

    assert not (case.outside / "pwned").exists()
    if attack in ("bug", "undefined"):
        assert f"{template}:{body.count(chr(10)) + 1}:" in line


def test_a_template_stopped_outside_its_own_code_is_still_named_by_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The time budget's timer can fire while jinja itself runs (under load, say): no frame of
    # the template is then on the traceback, and the error still names the file, not the name.
    (tmp_path / "templates" / "gen").mkdir(parents=True)
    (tmp_path / "templates" / "gen" / "x.py.j2").write_text("x\n")
    monkeypatch.chdir(tmp_path)
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(tmp_path / "templates")))

    assert templates._where(RuntimeError("stopped"), "gen/x.py.j2", env) == (
        "templates/gen/x.py.j2",
        None,
    )
