"""Naming: the one place that turns proto names into safe Python names.

Everything protokit generates goes through here: identifiers (keywords, soft keywords, builtins,
digit-leading or punctuated names), module paths, case conversion for names from user input,
and collision detection after mangling (comments become docstrings in ``core.docstrings``).
Nothing a ``.proto`` file (or a command line) contains may become code in a generated file.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum, Flag, auto

from protokit.core.errors import ProtokitError

__all__ = [
    "BUILTINS",
    "KEYWORDS",
    "PROTO_KEYWORDS",
    "RUNTIME_TOP_LEVELS",
    "SOFT_KEYWORDS",
    "STDLIB_MODULES",
    "WELL_KNOWN_PREFIX",
    "Avoid",
    "Collision",
    "NameCollisionError",
    "ProtoCase",
    "check_unique",
    "find_collisions",
    "is_identifier",
    "is_package_version",
    "is_reserved",
    "module_path_problem",
    "pascal_case",
    "proto_name_problem",
    "safe_identifier",
    "shadowing",
    "snake_case",
    "version_key",
    "version_ok",
]

WELL_KNOWN_PREFIX = "google/protobuf/"
"""Where the well-known types' ``.proto`` files live: they belong to the protobuf runtime, which
ships their modules; a contract repository's stubs never hold them."""

KEYWORDS: frozenset[str] = frozenset(keyword.kwlist)
"""Hard keywords: never valid as a name (``class``, ``import``, ``None``, ``async``...)."""

SOFT_KEYWORDS: frozenset[str] = frozenset(keyword.softkwlist)
"""Soft keywords (``match``, ``case``, ``type``, ``_``): valid names, confusing ones."""

BUILTINS: frozenset[str] = frozenset(name for name in dir(builtins) if not name.startswith("__"))
"""Builtin names (``int``, ``object``, ``print``...): valid, but shadowing them breaks code."""


class Avoid(Flag):
    """Which reserved names ``safe_identifier`` mangles. Keywords are always mangled."""

    KEYWORDS = auto()
    SOFT_KEYWORDS = auto()
    BUILTINS = auto()
    ALL = KEYWORDS | SOFT_KEYWORDS | BUILTINS


def is_identifier(name: str) -> bool:
    """True when ``name`` is usable as a Python name as written (identifier, not a keyword)."""
    return name.isidentifier() and not keyword.iskeyword(name)


def is_reserved(name: str, avoid: Avoid = Avoid.KEYWORDS) -> bool:
    """True when ``name`` is one of the reserved names ``avoid`` selects."""
    if name in KEYWORDS:
        return True
    if Avoid.SOFT_KEYWORDS in avoid and name in SOFT_KEYWORDS:
        return True
    return Avoid.BUILTINS in avoid and name in BUILTINS


_NOT_IDENT = re.compile(r"\W+")


def safe_identifier(name: str, *, avoid: Avoid = Avoid.KEYWORDS, suffix: str = "_") -> str:
    """A valid Python identifier for ``name``, changed only as much as needed.

    Characters that cannot appear in a name become ``_``; a leading digit gets a ``_`` prefix;
    a reserved name (per ``avoid``) gets ``suffix`` appended (PEP 8: ``class`` → ``class_``).
    Unicode is NFKC-normalised first, as the Python parser does, so the result is the name the
    interpreter will actually see.
    """
    text = unicodedata.normalize("NFKC", name)
    text = _NOT_IDENT.sub("_", text)
    if not text:
        text = "_"
    if not (text[0].isalpha() or text[0] == "_") or not text.isidentifier():
        text = "_" + text
        if not text.isidentifier():  # a leading combining mark or similar
            text = "_" + "".join(ch if ("_" + ch).isidentifier() else "_" for ch in text[1:])
    if is_reserved(text, avoid):
        text += suffix
    return text


def module_path_problem(dotted: str) -> str | None:
    """Why a dotted module path cannot be imported (``'1user_pb2' starts with a digit``), or
    None when every part is a valid identifier.

    Module paths come from proto file paths and packages: they cannot be mangled silently,
    because every importer would need the same mangling. Callers use this to refuse early.
    """
    for part in dotted.split("."):
        if is_identifier(part):
            continue
        if part[:1].isdigit():
            return f"{part!r} starts with a digit"
        if not part.isidentifier():
            return f"{part!r} is not a Python identifier"
        return f"{part!r} is a Python keyword"
    return None


_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9]|\b|_|$)|[A-Z]?[a-z0-9]+|[A-Z]+|\d+")


def _words(text: str) -> list[str]:
    words: list[str] = []
    for chunk in re.split(r"[^A-Za-z0-9]+", text):
        words.extend(_WORDS.findall(chunk))
    return words


def snake_case(text: str) -> str:
    """``GetUserRequest`` / ``get-user`` / ``HTTPServer`` → ``get_user_request`` / ``get_user``
    / ``http_server``. ASCII letters and digits only; other characters separate words."""
    return "_".join(word.lower() for word in _words(text))


def pascal_case(text: str) -> str:
    """``get_user`` / ``get-user`` / ``getUser`` → ``GetUser``; acronyms keep their capitals."""
    return "".join(word[:1].upper() + word[1:] for word in _words(text))


@dataclass(frozen=True)
class Collision:
    """Two or more distinct source names that became the same Python name in one scope."""

    scope: str
    python_name: str
    sources: tuple[str, ...]

    def message(self) -> str:
        names = ", ".join(repr(s) for s in self.sources)
        return (
            f"{names} all become the Python name {self.python_name!r} in {self.scope}; "
            "rename one of them"
        )


class NameCollisionError(ProtokitError):
    """Distinct proto names collide after Python name mangling."""

    def __init__(
        self, collisions: Iterable[Collision], *, path: str | None = None, line: int | None = None
    ) -> None:
        self.collisions = tuple(collisions)
        super().__init__("; ".join(c.message() for c in self.collisions), path=path, line=line)


def find_collisions(scope: str, names: Iterable[tuple[str, str]]) -> list[Collision]:
    """Collisions among ``(source_name, python_name)`` pairs sharing one scope.

    The same source name listed twice is not a collision (one thing, mentioned twice); two
    different sources mapping to one Python name (``class_`` and ``class``, ``Foo`` and ``foo``
    as module files on a case-insensitive disk are the caller's concern) is.
    """
    by_python: dict[str, list[str]] = {}
    for source, python_name in names:
        seen = by_python.setdefault(python_name, [])
        if source not in seen:
            seen.append(source)
    shared = sorted((py, sources) for py, sources in by_python.items() if len(sources) > 1)
    return [
        Collision(scope=scope, python_name=py, sources=tuple(sources)) for py, sources in shared
    ]


def check_unique(
    scope: str,
    names: Iterable[tuple[str, str]],
    *,
    path: str | None = None,
    line: int | None = None,
) -> None:
    """Raise ``NameCollisionError`` when ``find_collisions`` finds any."""
    found = find_collisions(scope, names)
    if found:
        raise NameCollisionError(found, path=path, line=line)


# --- proto identifiers from user input (scaffolding) -------------------------------------------

PROTO_KEYWORDS: frozenset[str] = frozenset(
    {
        "bool", "bytes", "double", "edition", "enum", "export", "extend", "extensions", "false",
        "fixed32", "fixed64", "float", "group", "import", "inf", "int32", "int64", "local", "map",
        "max", "message", "nan", "oneof", "option", "optional", "package", "public", "repeated",
        "required", "reserved", "returns", "rpc", "service", "sfixed32", "sfixed64", "sint32",
        "sint64", "stream", "string", "syntax", "to", "true", "uint32", "uint64", "weak",
    }
)  # fmt: skip
"""Words of the Protobuf language (proto2, proto3, editions) and its scalar type names.

Most are accepted by protoc as identifiers in some positions, which is exactly why a name
typed on a command line must not be one: ``package acme.message.v1`` reads as a mistake."""

STDLIB_MODULES: frozenset[str] = frozenset(sys.stdlib_module_names)
"""Top-level modules of the standard library: a generated top-level package must not shadow one."""

RUNTIME_TOP_LEVELS: frozenset[str] = frozenset({"grpc", "protokit"})
"""Packages generated code imports at runtime: generated stubs must never take their names."""


def shadowing(top: str, taken: frozenset[str] = frozenset()) -> str | None:
    """What a top-level package ``top`` would shadow (``the standard library module 'json'``),
    or None. ``taken`` adds names a caller also protects (new-service: the tools a scaffolded
    service imports)."""
    if top in STDLIB_MODULES:
        return f"the standard library module {top!r}"
    if top in RUNTIME_TOP_LEVELS or top in taken:
        return f"the package {top!r}"
    return None


_PACKAGE_VERSION = re.compile(r"v\d+(p\d+)?([a-z]+\d*)?")
_SCAFFOLD_VERSION = re.compile(
    r"v(?P<major>[1-9][0-9]{0,8})(?:(?P<stage>alpha|beta)(?P<number>[1-9][0-9]{0,8}))?", re.ASCII
)


def is_package_version(part: str) -> bool:
    """Whether a package's last part reads as a version (``v1``, ``v1p2beta3``, ``v2alpha``):
    ``acme.user.v1`` is domain ``user`` at version ``v1``."""
    return _PACKAGE_VERSION.fullmatch(part) is not None


def version_ok(version: str) -> bool:
    """A version new-service and new-version accept: v1, v2, ... or v1alpha1, v1beta1 (what
    buf's PACKAGE_VERSION_SUFFIX accepts)."""
    return _SCAFFOLD_VERSION.fullmatch(version) is not None


def version_key(version: str) -> tuple[int, int, int]:
    """Order of accepted versions: v2alpha1 < v2beta1 < v2 < v3alpha1 (``version_ok`` first)."""
    match = _SCAFFOLD_VERSION.fullmatch(version)
    if match is None:
        raise ValueError(f"{version!r} is not a package version")
    stage = {"alpha": 0, "beta": 1, None: 2}[match.group("stage")]
    return int(match.group("major")), stage, int(match.group("number") or 0)


class ProtoCase(Enum):
    """The spelling a proto identifier must have where it is used."""

    LOWER_SNAKE = auto()  # package parts, file names: ``billing``, ``b2b_api``
    PASCAL = auto()  # services, RPCs, messages: ``GetInvoice``


_LOWER_SNAKE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_PASCAL = re.compile(r"[A-Z][A-Za-z0-9]*")
_SHOWN = 40


def _shown(value: str) -> str:
    """``value`` for a one-line message: quoted, escaped, and cut when long."""
    return repr(value) if len(value) <= _SHOWN else repr(value[:_SHOWN]) + "..."


def proto_name_problem(value: str, case: ProtoCase, *, what: str, max_length: int) -> str | None:
    """Why ``value`` cannot be a proto identifier spelled ``case``, or None when it can.

    The message names the problem and what would be accepted (with a corrected spelling when
    one is obvious). Beyond the proto grammar it refuses Protobuf keywords (``message``),
    Python hard keywords (``class``, ``None``: the name becomes a Python module path or
    method), path separators and ``..`` (the name becomes a folder), and names longer than
    ``max_length`` (file names stay readable and far from path limits).
    """
    lower = case is ProtoCase.LOWER_SNAKE
    example = "'billing' or 'b2b_api'" if lower else "'GetInvoice'"
    expected = (
        "lowercase ASCII letters and digits, words joined by single underscores, starting "
        f"with a letter, such as {example}"
        if lower
        else f"PascalCase ASCII letters and digits, starting with a capital, such as {example}"
    )
    if not value:
        return f"{what} is empty; expected {expected}"
    if len(value) > max_length:
        return (
            f"{what} {_shown(value)} is {len(value)} characters long; "
            f"at most {max_length} are accepted"
        )
    if "/" in value or "\\" in value or ".." in value:
        return (
            f"{what} {_shown(value)} contains a path separator or '..'; it names one folder "
            f"and file, so expected {expected}"
        )
    pattern = _LOWER_SNAKE if lower else _PASCAL
    if not pattern.fullmatch(value):
        fixed = snake_case(value) if lower else pascal_case(value)
        hint = ""
        if value.isascii() and fixed and fixed != value and pattern.fullmatch(fixed):
            hint = f" (did you mean {fixed!r}?)"
        style = "lower_snake_case" if lower else "PascalCase"
        return f"{what} {_shown(value)} is not {style}; expected {expected}{hint}"
    if value in PROTO_KEYWORDS:
        return f"{what} {value!r} is a Protobuf keyword; choose another name, {expected}"
    if value in KEYWORDS:
        return (
            f"{what} {value!r} is a Python keyword, so the generated Python could not use it; "
            f"choose another name, {expected}"
        )
    return None
