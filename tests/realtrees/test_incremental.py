"""A change to some .proto files regenerates only what can differ, byte for byte as a full run."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from protokit.core.workspace import open_workspace
from protokit.gen import fingerprint
from protokit.gen.pipeline import run_gen
from tests.realtrees.trees import workspace

BASE = """syntax = "proto3";

package shop.base.v1;

// Money is an amount.
message Money {
  // Units.
  int64 units = 1;
}
"""


def _user(name: str) -> str:
    return (
        f'syntax = "proto3";\n\npackage shop.{name}.v1;\n\nimport "shop/base/v1/money.proto";\n\n'
        f"// {name.title()} costs money.\nmessage {name.title()} {{\n"
        "  // The price.\n  shop.base.v1.Money price = 1;\n}\n"
    )


FILES = {
    "shop/base/v1/money.proto": BASE,
    "shop/cart/v1/cart.proto": _user("cart"),
    "shop/order/v1/order.proto": _user("order"),
}
MONEY = "protos/shop/base/v1/money.proto"


def _tree(root: Path) -> dict[str, bytes]:
    base = root / "gen" / "python"
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def test_a_comment_change_in_an_imported_file_regenerates_that_file_only(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES)
    run_gen(open_workspace(root))
    money = root / MONEY
    money.write_text(BASE.replace("// Units.", "// Whole units of the amount."))
    result = run_gen(open_workspace(root))
    assert result.regenerated == ("shop/base/v1/money.proto",)
    assert [c.path for c in result.plan.pending] == ["gen/python/shop/base/v1/money_pb2.pyi"]
    # the stats it recorded (the kept outputs' taken over, not read again) are the disk's
    snapshot = fingerprint.load_snapshot(open_workspace(root), "gen/python")
    assert snapshot is not None and snapshot.outputs_intact(root)
    fresh = workspace(tmp_path / "fresh", FILES)
    shutil.copy(money, fresh / MONEY)
    run_gen(open_workspace(fresh))
    assert _tree(root) == _tree(fresh)


def test_a_change_beyond_comments_regenerates_every_file(tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", FILES)
    run_gen(open_workspace(root))
    (root / MONEY).write_text(
        BASE.replace("int64 units = 1;", "int64 units = 1;\n  int32 nanos = 2;")
    )
    result = run_gen(open_workspace(root))
    assert len(result.regenerated) == 3
    assert "nanos" in (root / "gen/python/shop/base/v1/money_pb2.pyi").read_text()


def _gen_check(root: Path) -> None:
    run_gen(open_workspace(root), check=True)


def _check(root: Path) -> None:
    from protokit.check.run import run_check

    run_check(open_workspace(root))


@pytest.mark.parametrize("between", [_gen_check, _check], ids=["gen --check", "check"])
def test_a_change_beyond_comments_compiled_by_another_command_first_regenerates_every_file(
    tmp_path: Path, between: Callable[[Path], None]
) -> None:
    """``gen --check`` (or ``check``) compiles the changed tree into the image cache before
    ``gen`` runs: gen must not take that image for the one its outputs came from, find the
    changed file equal to itself and keep a stale ``_pb2.py``."""
    root = workspace(tmp_path / "ws", FILES)
    run_gen(open_workspace(root))
    renamed = BASE.replace("int64 units = 1;", "int64 whole_units = 1;")
    (root / MONEY).write_text(renamed)
    between(root)
    result = run_gen(open_workspace(root))
    assert "shop/base/v1/money.proto" in result.regenerated
    assert run_gen(open_workspace(root), check=True).stale == []
    fresh = workspace(tmp_path / "fresh", FILES)
    (fresh / MONEY).write_text(renamed)
    run_gen(open_workspace(fresh))
    assert _tree(root) == _tree(fresh)
    assert b"whole_units" in _tree(root)["shop/base/v1/money_pb2.py"]


PAY = """syntax = "proto3";

package shop.pay.v1;

// PayRequest pays.
message PayRequest {
  string id = 1;
}

// PayResponse is paid.
message PayResponse {
  string id = 1;
}

// PayService pays.
service PayService {
  // Pay pays.
  rpc Pay(PayRequest) returns (PayResponse);
}
"""


def test_a_template_changed_with_a_comment_renders_every_file_with_the_new_template(
    tmp_path: Path,
) -> None:
    """A comment change alone renders only that file's stubs; with a repository template
    changed too, every gRPC module comes from the new template (the other file's included)."""
    files = {
        **FILES,
        "shop/pay/v1/pay.proto": PAY,
        "shop/refund/v1/refund.proto": PAY.replace("shop.pay.v1", "shop.refund.v1").replace(
            "PayService", "RefundService"
        ),
    }
    root = workspace(tmp_path / "ws", files)
    run_gen(open_workspace(root))
    builtin = Path(__file__).resolve().parents[2] / "templates/gen/pb2_grpc.py.j2"
    override = root / "templates/gen/pb2_grpc.py.j2"
    override.parent.mkdir(parents=True)
    override.write_text(builtin.read_text() + "# the house line\n")
    pay = root / "protos/shop/pay/v1/pay.proto"
    pay.write_text(PAY.replace("// Pay pays.", "// Pay takes the money."))
    run_gen(open_workspace(root))
    refund = _tree(root)["shop/refund/v1/refund_pb2_grpc.py"]
    assert refund.endswith(b"# the house line\n")
    fresh = workspace(tmp_path / "fresh", files)
    shutil.copytree(root / "templates", fresh / "templates")
    shutil.copy(pay, fresh / "protos/shop/pay/v1/pay.proto")
    run_gen(open_workspace(fresh))
    assert _tree(root) == _tree(fresh)
