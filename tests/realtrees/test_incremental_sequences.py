"""Whatever happened before, ``gen`` writes what a first ``gen`` of the same inputs writes.

The incremental paths (nothing to do; only comments of some files changed; the image cache)
each trust a record of an earlier run. Here random sequences of edits and other commands run
``gen`` again and again, and after each a fresh workspace with the same inputs is generated
from scratch: the stub trees must be equal byte for byte (the manifest's record of skeletons
created in the past aside, which a fresh workspace has no past for). Each step is a record: a
name and a small function on the workspace.
"""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from protokit.check.run import run_check
from protokit.core.workspace import open_workspace
from protokit.gen.options import MANIFEST_NAME
from protokit.gen.pipeline import run_gen
from tests.realtrees.trees import workspace
from tests.support import REPO

GRPC_TEMPLATE = (REPO / "templates/gen/pb2_grpc.py.j2").read_text()


@dataclass
class Contract:
    """One ``.proto`` file of the tree, written from these few facts."""

    package: str
    fields: int = 2
    comment: str = "first"
    service: bool = True
    imports: str | None = None

    @property
    def path(self) -> str:
        return f"acme/{self.package}/v1/{self.package}.proto"

    def text(self) -> str:
        name = self.package.title()
        lines = ['syntax = "proto3";', "", f"package acme.{self.package}.v1;", ""]
        if self.imports:
            lines += [f'import "acme/{self.imports}/v1/{self.imports}.proto";', ""]
        lines += [f"// {self.comment}", f"message {name}Thing {{"]
        lines += [f"  string f{i} = {i + 1};" for i in range(self.fields)]
        if self.imports:
            lines.append(f"  acme.{self.imports}.v1.{self.imports.title()}Thing other = 99;")
        lines.append("}")
        if self.service:
            lines += [
                "",
                f"// {name}Service serves. {self.comment}",
                f"service {name}Service {{",
                f"  // Get gets. {self.comment}",
                f"  rpc Get({name}Thing) returns ({name}Thing);",
                "}",
            ]
        return "\n".join(lines) + "\n"


@dataclass
class Tree:
    root: Path
    rng: random.Random
    contracts: dict[str, Contract] = field(default_factory=dict)

    def write(self, contract: Contract) -> None:
        self.contracts[contract.package] = contract
        path = self.root / "protos" / contract.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(contract.text())

    def pick(self) -> Contract:
        return self.contracts[self.rng.choice(sorted(self.contracts))]


@dataclass(frozen=True)
class Step:
    name: str
    apply: Callable[[Tree], None]


def _comment(tree: Tree) -> None:
    contract = tree.pick()
    contract.comment = tree.rng.choice(
        ["second", 'says """hi"""', "a path C:\\x\\y", "ends in a backslash \\", "a tab\there"]
    )
    tree.write(contract)


def _fields(tree: Tree) -> None:
    contract = tree.pick()
    contract.fields = tree.rng.choice([n for n in range(1, 5) if n != contract.fields])
    tree.write(contract)


def _service(tree: Tree) -> None:
    contract = tree.pick()
    contract.service = not contract.service
    tree.write(contract)


def _new_file(tree: Tree) -> None:
    package = f"extra{tree.rng.randint(0, 2)}"
    if package not in tree.contracts:
        tree.write(Contract(package, 1, "new", tree.rng.random() < 0.5, "base"))


def _template(tree: Tree) -> None:
    path = tree.root / "templates/gen/pb2_grpc.py.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GRPC_TEMPLATE + f"# the house line {tree.rng.randint(0, 99)}\n")


def _no_template(tree: Tree) -> None:
    shutil.rmtree(tree.root / "templates", ignore_errors=True)


def _package_map(tree: Tree) -> None:
    (tree.root / "pyproject.toml").write_text(
        '[tool.protokit]\npython_package_map = {"acme.pay.v1" = "paymod.v1"}\n'
    )


def _no_package_map(tree: Tree) -> None:
    (tree.root / "pyproject.toml").unlink(missing_ok=True)


def _servicer(tree: Tree) -> None:
    servicer = tree.root / "services" / tree.pick().package / "servicer.py"
    if servicer.is_file():
        servicer.write_text(servicer.read_text() + "\n# the user's edit\n")


def _gen_check(tree: Tree) -> None:
    run_gen(open_workspace(tree.root), check=True)


def _check(tree: Tree) -> None:
    run_check(open_workspace(tree.root))


def _dry_run(tree: Tree) -> None:
    run_gen(open_workspace(tree.root), dry_run=True)


STEPS = (
    Step("a comment", _comment),
    Step("the fields", _fields),
    Step("a service added or removed", _service),
    Step("a new file", _new_file),
    Step("a repository template", _template),
    Step("the template removed", _no_template),
    Step("python_package_map", _package_map),
    Step("python_package_map removed", _no_package_map),
    Step("a servicer edited", _servicer),
    Step("gen --check", _gen_check),
    Step("check", _check),
    Step("gen --dry-run", _dry_run),
)


def _stubs(root: Path) -> dict[str, bytes]:
    base = root / "gen" / "python"
    found: dict[str, bytes] = {}
    for path in sorted(base.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.name == MANIFEST_NAME:  # the skeletons created in the past: this tree's own
            manifest = json.loads(data)
            manifest.pop("created", None)
            data = json.dumps(manifest, sort_keys=True).encode()
        found[path.relative_to(base).as_posix()] = data
    return found


def _fresh(tree: Tree, folder: Path) -> dict[str, bytes]:
    fresh = workspace(folder, {c.path: c.text() for c in tree.contracts.values()})
    for name in ("templates", "pyproject.toml"):
        source = tree.root / name
        if source.is_dir():
            shutil.copytree(source, fresh / name)
        elif source.is_file():
            shutil.copy(source, fresh / name)
    run_gen(open_workspace(fresh))
    return _stubs(fresh)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gen_after_any_sequence_writes_what_a_first_gen_writes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    tree = Tree(workspace(tmp_path / "ws", {}), rng)
    for contract in (Contract("base", service=False), Contract("shop", imports="base")):
        tree.write(contract)
    tree.write(Contract("pay", imports="base"))
    run_gen(open_workspace(tree.root))
    done: list[str] = []
    for index in range(14):
        # one or two steps, then gen, then the fresh tree it must equal
        for step in rng.sample(STEPS, rng.choice([1, 2])):
            step.apply(tree)
            done.append(step.name)
        run_gen(open_workspace(tree.root))
        expected = _fresh(tree, tmp_path / f"fresh-{index}")
        assert _stubs(tree.root) == expected, f"after: {', '.join(done)}"
        done.append("gen")
