"""A small contract repository in a real git repository, and helpers to change and check it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

BUF_YAML = """\
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

import "google/protobuf/timestamp.proto";

// Color of an item.
enum Color {
  COLOR_UNSPECIFIED = 0;
  COLOR_RED = 1;
  COLOR_GREEN = 2;
}

// Item is one thing for sale.
message Item {
  string id = 1;
  int64 price = 2;
  shop.v1.Color color = 3;
  repeated string tags = 4;
  map<string, int32> stock = 5;
  optional string note = 6;
  oneof kind {
    string text = 7;
    bytes blob = 8;
  }
  Node tree = 9;
  google.protobuf.Timestamp updated_at = 10;
  string display_name = 11;
}

// Node is a recursive tree.
message Node {
  string label = 1;
  Node child = 2;
  repeated Node children = 3;
}
"""

SERVICE_PROTO = """\
syntax = "proto3";

package shop.v1;

import "shop/v1/shop.proto";

// ShopService sells items.
service ShopService {
  // GetItem returns one item.
  rpc GetItem(GetItemRequest) returns (GetItemResponse);
  // WatchItems streams item changes.
  rpc WatchItems(WatchItemsRequest) returns (stream WatchItemsResponse);
}

// GetItemRequest names an item.
message GetItemRequest {
  string id = 1;
}

// GetItemResponse carries an item.
message GetItemResponse {
  Item item = 1;
}

// WatchItemsRequest starts a watch.
message WatchItemsRequest {
  string prefix = 1;
}

// WatchItemsResponse is one change.
message WatchItemsResponse {
  Item item = 1;
}
"""

SHOP = "proto/shop/v1/shop.proto"
SERVICE = "proto/shop/v1/shop_service.proto"


def tool_env() -> dict[str, str]:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PROTOKIT_DEBUG", None)
    env.update(
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.invalid",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.invalid",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
    )
    return env


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env=tool_env(), timeout=120, check=False
    )


def git(repo: Path, *args: str) -> str:
    proc = run(["git", *args], repo)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@dataclass
class Repo:
    """A contract repository in a temporary git repository."""

    root: Path

    def protokit(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([str(BIN / "protokit"), *args], self.root)

    def buf(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run([str(BIN / "buf"), *args], self.root)

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8")

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def replace(self, rel: str, old: str, new: str) -> None:
        text = self.read(rel)
        assert old in text, f"{old!r} not in {rel}"
        self.write(rel, text.replace(old, new, 1))

    def commit(self, message: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def diff_json(self, *args: str) -> dict[str, object]:
        proc = self.protokit("diff", "--format", "json", *args)
        assert proc.returncode == 0, proc.stderr
        data: dict[str, object] = json.loads(proc.stdout)
        return data


def make_repo(root: Path) -> Repo:
    root.mkdir(parents=True)
    repo = Repo(root)
    repo.write("buf.yaml", BUF_YAML)
    repo.write(SHOP, SHOP_PROTO)
    repo.write(SERVICE, SERVICE_PROTO)
    repo.git("init", "-q", "-b", "main")
    repo.commit("baseline contracts")
    return repo


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The baseline repository, built once per module; tests work on copies of it."""
    return make_repo(tmp_path_factory.mktemp("pristine") / "repo")


def feature_branch(pristine: Repo, dest: Path) -> Repo:
    """A private copy (history included) of ``pristine`` at ``dest``, on a feature branch."""
    shutil.copytree(pristine.root, dest, symlinks=True)
    copy = Repo(dest)
    copy.git("checkout", "-q", "-b", "feature")
    return copy


@pytest.fixture
def repo(pristine: Repo, tmp_path: Path) -> Repo:
    """A private copy (history included) of the baseline repository, on a feature branch."""
    return feature_branch(pristine, tmp_path / "repo")


@pytest.fixture
def new_repo(tmp_path: Path) -> Callable[[str], Repo]:
    def make(name: str) -> Repo:
        return make_repo(tmp_path / name)

    return make
