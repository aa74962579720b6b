"""Jinja templates: built-ins ship in the package; a repository's ``templates/`` overrides them.

Lookup is file by file: ``<repo>/templates/servicer/sync.py.j2`` replaces only that template.
Templates place values; the model computes them. Undefined names fail loudly.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from protokit.core.errors import ProtokitError

BUILTIN_PACKAGE = "protokit.builtin_templates"


@cache
def _builtin_root() -> Path:
    return Path(str(resources.files(BUILTIN_PACKAGE)))


def environment(override: Path | None = None) -> jinja2.Environment:
    """A Jinja environment searching ``override`` (if it exists) before the built-ins."""
    loaders: list[jinja2.BaseLoader] = []
    if (
        override is not None
        and override.is_dir()
        and override.resolve() != _builtin_root().resolve()
    ):
        loaders.append(jinja2.FileSystemLoader(str(override)))
    loaders.append(jinja2.FileSystemLoader(str(_builtin_root())))
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


def render(env: jinja2.Environment, name: str, **context: Any) -> str:
    """Render one template; a missing template or a template bug is a protokit error."""
    try:
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
        raise ProtokitError(f"template {name!r} used an undefined value: {exc.message}") from exc
