"""Jinja templates: built-ins ship in the package; a repository's ``templates/`` overrides them.

Lookup is file by file: ``<repo>/templates/servicer/sync.py.j2`` replaces only that template.
Templates place values; the model computes them. Undefined names fail loudly.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from protokit.core.errors import ProtokitError

BUILTIN_PACKAGE = "protokit.builtin_templates"


@cache
def _builtin_root() -> Path:
    return Path(str(resources.files(BUILTIN_PACKAGE)))


def is_builtin(env: jinja2.Environment, name: str) -> bool:
    """Whether ``env`` renders ``name`` from protokit's own template (the repository's copy, if
    it has one, is the same text)."""
    assert env.loader is not None
    try:
        source, _, _ = env.loader.get_source(env, name)
        return source == (_builtin_root() / name).read_text(encoding="utf-8")
    except (jinja2.TemplateNotFound, OSError, UnicodeDecodeError):
        return False


TIME_ENV = "PROTOKIT_TEMPLATE_TIMEOUT"
DEFAULT_SECONDS = 60.0
MAX_SEQUENCE = 10_000_000
"""The longest string or list one ``*`` in a template may build."""


class _Budget(Exception):
    """A template ran past its time budget."""


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox (no access to Python internals such as ``__globals__``), plus a time
    budget checked at every call and attribute, and bounded ``*`` and ``**``."""

    intercepted_binops = frozenset({"*", "**"})
    deadline = float("inf")

    def _tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Budget

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        __self._tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj: Any, attribute: str) -> Any:
        self._tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self._tick()
        return super().getitem(obj, argument)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self._tick()
        if operator == "**" and isinstance(right, int) and abs(right) > 1000:
            raise SecurityError(f"exponent {right} is too large for a template")
        if operator == "*":
            for seq, count in ((left, right), (right, left)):
                sized = isinstance(seq, str | list | tuple) and isinstance(count, int)
                if sized and len(seq) * count > MAX_SEQUENCE:
                    raise SecurityError("a template built a string or list too long")
        return super().call_binop(context, operator, left, right)


def _seconds() -> float:
    raw = os.environ.get(TIME_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_SECONDS
    except ValueError:
        value = -1.0
    if not 0 < value < 1e7:
        raise ProtokitError(f"{TIME_ENV}={raw[:40]!r} is not a number of seconds above 0")
    return value


def environment(override: Path | None = None) -> jinja2.Environment:
    """A sandboxed Jinja environment searching ``override`` (if it exists) before the built-ins.

    A repository's templates are code from the repository: they render in Jinja's sandbox,
    with a time budget (``PROTOKIT_TEMPLATE_TIMEOUT`` seconds, default 60) and Python's
    recursion limit, and a failure names the template file and line."""
    loaders: list[jinja2.BaseLoader] = []
    if (
        override is not None
        and override.is_dir()
        and override.resolve() != _builtin_root().resolve()
    ):
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.FileSystemLoader(str(_builtin_root())))
    return _Sandbox(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def builtin_twin(env: jinja2.Environment) -> jinja2.Environment:
    """``env`` for protokit's own templates only, outside the sandbox: they are protokit's code,
    not the repository's, so the sandbox's check of every attribute buys nothing there (and
    costs seconds on a big tree). Same options and filters; use it only for a template
    ``is_builtin`` says ``env`` would render from the built-ins."""
    twin = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_builtin_root())),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    twin.filters.update(env.filters)
    return twin


def _shown(filename: str) -> str:
    """A template file as messages name it: ``protokit:templates/...`` for a built-in, else
    relative to the current folder where it can be."""
    builtin = str(_builtin_root())
    if filename.startswith(builtin):
        return "protokit:templates" + filename[len(builtin) :]
    with contextlib.suppress(ValueError):
        return Path(filename).relative_to(Path.cwd()).as_posix()
    return filename


def _where(exc: BaseException, name: str, env: jinja2.Environment) -> tuple[str, int | None]:
    """The innermost template frame of ``exc``'s traceback: (file, line); without one (a
    timer that fired outside the template's own code), the template's file."""
    found: tuple[str, int | None] = (name, None)
    with contextlib.suppress(Exception):  # a loader that cannot say: the name alone
        filename = env.loader.get_source(env, name)[1] if env.loader is not None else None
        if filename:
            found = (_shown(filename), None)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or filename == "<template>":
            found = (_shown(filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


@contextlib.contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """Also stop loops that call nothing (only the main thread can take a signal)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def expire(_signum: int, _frame: object) -> None:
        raise _Budget

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render one template; a missing template or a template bug is a protokit error naming
    the template file and line."""
    seconds = _seconds()
    if isinstance(env, _Sandbox):
        env.deadline = time.monotonic() + seconds
    try:
        with _alarm(seconds):
            return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        raise ProtokitError(
            f"template {name!r} not found in the repository or the built-ins"
        ) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise ProtokitError(
            f"template syntax error: {exc.message}", path=exc.filename or name, line=exc.lineno
        ) from exc
    except UnicodeDecodeError as exc:
        raise ProtokitError(f"template {name!r} is not UTF-8 text") from exc
    except jinja2.UndefinedError as exc:
        path, line = _where(exc, name, env)
        raise ProtokitError(
            f"template {name!r} used an undefined value: {exc.message}", path=path, line=line
        ) from exc
    except _Budget as exc:
        path, line = _where(exc, name, env)
        raise ProtokitError(
            f"template {name!r} ran longer than {seconds:g} s and was stopped (an endless "
            f"loop?; set {TIME_ENV} to allow longer)",
            path=path,
            line=line,
        ) from None
    except RecursionError as exc:
        path, line = _where(exc, name, env)
        raise ProtokitError(
            f"template {name!r} recursed too deeply (an include, extends or macro that calls "
            "itself?)",
            path=path,
            line=line,
        ) from None
    except SecurityError as exc:
        path, line = _where(exc, name, env)
        raise ProtokitError(
            f"template {name!r} did something templates may not: {exc}", path=path, line=line
        ) from exc
    except Exception as exc:  # a template bug: 1/0, a wrong type, a failed filter
        path, line = _where(exc, name, env)
        raise ProtokitError(
            f"template {name!r} failed: {type(exc).__name__}: {str(exc)[:200]}",
            path=path,
            line=line,
        ) from exc
    finally:
        if isinstance(env, _Sandbox):
            env.deadline = float("inf")
