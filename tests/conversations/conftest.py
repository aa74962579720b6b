"""The repository's own schema, and real servers with deliberately changed behaviour."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from typing import Any

import grpc
import pytest

from protokit.conversations.model import Conversation
from protokit.conversations.parse import load_conversation
from protokit.core.workspace import open_workspace
from protokit.evolution.fixtures import DynamicSchema
from protokit.tools.image import build_image

ROOT = Path(__file__).resolve().parents[2]
CONVERSATIONS = ROOT / "compat" / "conversations"


@pytest.fixture(scope="session")
def schema() -> DynamicSchema:
    return DynamicSchema(build_image(open_workspace(ROOT)))


def conversation(
    schema: DynamicSchema, data: dict[str, Any], path: str = "case.json"
) -> Conversation:
    return load_conversation(path, (json.dumps(data, indent=2) + "\n").encode(), schema)


def recorded(schema: DynamicSchema, rel: str) -> Conversation:
    return load_conversation(rel, (CONVERSATIONS / rel).read_bytes(), schema)


Handler = Callable[..., Any]


def serve_handlers(
    service: str, handlers: dict[str, grpc.RpcMethodHandler]
) -> Iterator[grpc.Channel]:
    """A real gRPC server on 127.0.0.1 answering ``service`` with ``handlers``; yields a channel."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(service, handlers)])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield channel
    finally:
        server.stop(None)
