"""new-service with a repository's own template: it overrides the built-in one, and buf lint and
buf format check what it renders before anything is written."""

from __future__ import annotations

from pathlib import Path

from tests.scaffold.conftest import (
    BILLING,
    CONTRACT,
    OVERRIDE,
    buf_clean,
    builtin_template,
    protokit,
    snapshot,
)

PIECES = Path(__file__).resolve().parents[2] / "templates/new_service"


def test_a_repository_template_overrides_the_builtin_one(repo: Path) -> None:
    override = repo / OVERRIDE
    override.parent.mkdir(parents=True)
    override.write_text(
        builtin_template().replace(
            'syntax = "proto3";\n', 'syntax = "proto3";\n\n// Owned by the payments team.\n', 1
        )
    )
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 0, result.stderr
    assert "// Owned by the payments team." in (repo / CONTRACT).read_text()
    buf_clean(repo)


def test_a_template_that_buf_lint_rejects_writes_nothing(repo: Path) -> None:
    override = repo / OVERRIDE
    override.parent.mkdir(parents=True)
    # The message piece service.proto.j2 includes, without its comment lines.
    builtin = (PIECES / "message.proto.j2").read_text()
    override = repo / "templates/new_service/message.proto.j2"
    undocumented = builtin.replace(
        "{% for line in message.comment %}\n// {{ line }}\n{% endfor %}\n", ""
    )
    assert undocumented != builtin
    override.write_text(undocumented)
    before = snapshot(repo)
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 1
    assert "fails buf lint (COMMENT_MESSAGE" in result.stderr
    assert snapshot(repo) == before


def test_a_template_that_buf_format_would_change_writes_nothing(repo: Path) -> None:
    override = repo / OVERRIDE
    override.parent.mkdir(parents=True)
    override = repo / "templates/new_service/rpc.proto.j2"
    override.write_text(
        (PIECES / "rpc.proto.j2")
        .read_text()
        .replace("  rpc {{ rpc.name }}", "    rpc {{ rpc.name }}")
    )
    before = snapshot(repo)
    result = protokit(repo, "new-service", *BILLING)
    assert result.exit_code == 1
    assert "not formatted as `buf format` writes it" in result.stderr
    assert f"{CONTRACT}:9:" in result.stderr
    assert snapshot(repo) == before
