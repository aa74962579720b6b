"""What the generated conversation test module calls: the cases, a server per flavour, replay.

Each proto package with servicers in ``<services_out>/<folder>/`` is served by its
``__main__``'s ``serve`` (sync) and ``serve_aio`` (asyncio), whichever exist, on 127.0.0.1 with
an ephemeral port; a fresh server for every case, so cases never share state. ``serve`` may take
a config object (``serve(config)``, its class read from the annotation and built with
``port=0``) or a port (``serve(port=0)`` returning ``(server, port)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import os
import secrets
import threading
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from protokit.conversations.credentials import TOKEN_ENV, placeholders
from protokit.conversations.model import Conversation
from protokit.conversations.replay import Mismatch, replay
from protokit.conversations.repository import (
    CONVERSATIONS_DIR,
    conversation_files,
    conversations_root,
    read_conversation,
)
from protokit.core.workspace import open_workspace
from protokit.evolution.fixtures import DynamicSchema
from protokit.evolution.release import list_releases, load_release, releases_root
from protokit.gen.model_build import build_model
from protokit.gen.skeletons import service_packages
from protokit.tools.image import build_image

__all__ = ["Case", "ConversationSuite", "LoopThread"]

FLAVOURS = ("sync", "aio")
_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Case:
    source: str  # "current" or a release version
    path: str  # relative to the workspace root
    package: str
    flavour: str

    @property
    def id(self) -> str:
        return f"{self.source}:{self.flavour}:{self.path.split(CONVERSATIONS_DIR + '/', 1)[-1]}"


class LoopThread:
    """An asyncio event loop on its own thread, for starting ``serve_aio`` from sync code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(_START_TIMEOUT)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()


def _arguments(
    serve: Callable[..., Any], token: str | None = None
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    parameters = inspect.signature(serve).parameters
    with_token = {"token": token} if token else {}
    if "config" in parameters:
        config_type = typing.get_type_hints(serve)["config"]
        return (config_type(port=0, **with_token),), {}
    return (), {"port": 0, **(with_token if "token" in parameters else {})}


def _address(started: Any) -> tuple[str, Any]:
    if isinstance(started, tuple):
        server, port = started
        return f"127.0.0.1:{port}", server
    return str(started.target), started


class ConversationSuite:
    """A repository's conversations (current and frozen) and its services, loaded once."""

    def __init__(self, root: Path) -> None:
        self.ws = open_workspace(root)
        self.image = build_image(self.ws)
        self.schema = DynamicSchema(self.image)
        services_out = self.ws.settings.services_out.strip("/")
        self._release_schemas: dict[str, DynamicSchema] = {}
        self.modules = {
            p.package: p.module for p in service_packages(build_model(self.image), services_out)
        }

    def _flavours(self, package: str) -> list[str]:
        module = self.modules.get(package)
        if module is None:
            return []
        try:
            main = importlib.import_module(f"{module}.__main__")
        except ImportError:
            return []
        return [
            f
            for f, name in zip(FLAVOURS, ("serve", "serve_aio"), strict=True)
            if hasattr(main, name)
        ]

    def cases(self) -> list[Case]:
        sources = [("current", conversations_root(self.ws))]
        for version in list_releases(self.ws):
            folder = (releases_root(self.ws) / version / CONVERSATIONS_DIR).relative_to(
                self.ws.root
            )
            sources.append((version, folder.as_posix()))
        found: list[Case] = []
        for source, base in sources:
            for rel in conversation_files(self.ws.root, base):
                package = _package_of(rel, base)
                for flavour in self._flavours(package):
                    found.append(Case(source, rel, package, flavour))
        return found

    def schema_of(self, case: Case) -> DynamicSchema:
        """The schema a case is replayed with: a frozen case speaks its release's schema (as
        that release's clients do), so the answers must parse under the old one too."""
        if case.source == "current":
            return self.schema
        if case.source not in self._release_schemas:
            release = load_release(self.ws, case.source)
            self._release_schemas[case.source] = DynamicSchema(release.image)
        return self._release_schemas[case.source]

    def load(self, case: Case) -> Conversation:
        """The case under its own schema; a frozen one must also parse under today's."""
        if case.source != "current":
            read_conversation(self.ws.root, case.path, self.schema)
        return read_conversation(self.ws.root, case.path, self.schema_of(case))

    @contextlib.contextmanager
    def serving(self, case: Case, token: str | None = None) -> Iterator[str]:
        """A fresh server for ``case``'s package and flavour (requiring ``token`` when given);
        yields the address to dial."""
        main = importlib.import_module(f"{self.modules[case.package]}.__main__")
        if case.flavour == "sync":
            args, kwargs = _arguments(main.serve, token)
            target, running = _address(main.serve(*args, **kwargs))
            try:
                yield target
            finally:
                if hasattr(running, "shutdown"):
                    running.shutdown(grace=0)
                else:
                    running.stop(None)
            return
        loop = LoopThread()
        try:
            args, kwargs = _arguments(main.serve_aio, token)
            target, running = _address(loop.run(main.serve_aio(*args, **kwargs)))
            try:
                yield target
            finally:
                if hasattr(running, "shutdown"):
                    loop.run(running.shutdown(grace=0))
                else:
                    loop.run(running.stop(None))
        finally:
            loop.close()

    def run(self, case: Case) -> Mismatch | None:
        """Replay ``case`` against a fresh server; the first mismatch or None.

        A case that sends ``authorization`` from ``$SERVICES_TOKEN`` gets a token-protected
        server: the token is the environment's when set, else a fresh one, and replay sends it."""
        conversation = self.load(case)
        env = dict(os.environ)
        token = None
        if TOKEN_ENV in placeholders(conversation.request_metadata):
            token = env.get(TOKEN_ENV) or secrets.token_urlsafe(16)
            env[TOKEN_ENV] = token
        with self.serving(case, token) as target, grpc.insecure_channel(target) as channel:
            return replay(conversation, channel, self.schema_of(case), env)


def _package_of(rel: str, base: str) -> str:
    """The proto package from ``<base>/<package>/<Service>/<Rpc>/<case>.json``."""
    return rel[len(base) + 1 :].split("/", 1)[0]
