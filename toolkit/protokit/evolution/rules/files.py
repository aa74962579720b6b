"""Rules over whole images (deleted files and packages) and over a file kept under its name (its
package, syntax, file options, and the top-level and nested elements it declares)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from google.protobuf import descriptor_pb2 as d

from protokit.evolution.rules import ALL, FILE_PACKAGE, Category, Kind, On, Pair, Rule, Violation
from protokit.evolution.rules.schema import Schema

_FILE = frozenset({Category.FILE})
_PACKAGE = frozenset({Category.PACKAGE})
_OPTIONS = d.FileDescriptorProto.OPTIONS_FIELD_NUMBER


def file_no_delete(p: Pair) -> Iterator[Violation]:
    before, after = p.old, p.new
    for name in sorted(set(before.files) - set(after.files)):
        yield Violation("file", "removed", name, f"file {name} was deleted")


def _packages(schema: Schema) -> set[str]:
    return {f.package for f in schema.files.values()}


def package_no_delete(p: Pair) -> Iterator[Violation]:
    for pkg in sorted(_packages(p.old) - _packages(p.new)):
        yield Violation("package", "removed", pkg, f"package {pkg} was deleted")


def _package_deletions(kind: str, table: str) -> Callable[[Pair], Iterator[Violation]]:
    def check(p: Pair) -> Iterator[Violation]:
        before: Schema = p.old
        after: Schema = p.new
        kept = _packages(before) & _packages(after)
        old, new = getattr(before, table), getattr(after, table)
        for name in sorted(set(old) - set(new)):
            pkg = before.package(before.file_of[name])
            if pkg not in kept:
                continue
            file = next(f for f, desc in after.files.items() if desc.package == pkg)
            yield Violation(
                kind,
                "removed",
                name,
                f"{kind} {name} was deleted from package {pkg}",
                at=(name.rsplit(".", 1)[0], file),
            )

    return check


def _is_map_entry(schema: Schema, name: str) -> bool:
    msg = schema.messages.get(name)
    return msg is not None and msg.options.map_entry


def same_package(p: Pair) -> Iterator[Violation]:
    if p.old.package != p.new.package:
        yield Violation(
            "file",
            "changed",
            p.name,
            f"file {p.name} changed package from {p.old.package!r} to {p.new.package!r}",
            at=(p.name,),
            span=(p.name, (d.FileDescriptorProto.PACKAGE_FIELD_NUMBER,)),
        )


def same_syntax(p: Pair) -> Iterator[Violation]:
    old, new = p.old.syntax or "proto2", p.new.syntax or "proto2"
    if old != new:
        yield Violation(
            "file",
            "changed",
            p.name,
            f"file {p.name} changed syntax from {old} to {new}",
            at=(p.name,),
            span=(p.name, (d.FileDescriptorProto.SYNTAX_FIELD_NUMBER,)),
        )


def _same_option(option: str) -> Callable[[Pair], Iterator[Violation]]:
    number = d.FileOptions.DESCRIPTOR.fields_by_name[option].number

    def check(p: Pair) -> Iterator[Violation]:
        old, new = getattr(p.old.options, option), getattr(p.new.options, option)
        if old != new:
            yield Violation(
                "file",
                "changed",
                p.name,
                f"file {p.name} changed option {option} from {old!r} to {new!r}",
                at=(p.name,),
                span=(p.name, (_OPTIONS, number)),
            )

    return check


def _declared_deletions(kind: str, table: str) -> Callable[[Pair], Iterator[Violation]]:
    """Elements of ``table`` the old file declared and the new one of that name does not.
    Names count within the file's package, as buf compares them file by file: a package
    renamed where its files stay deletes nothing (FILE_SAME_PACKAGE reports it)."""

    def check(p: Pair) -> Iterator[Violation]:
        before: Schema = p.before
        after: Schema = p.after
        kept = {_within(n, p.new.package) for n in after.declared[p.name]}
        gone = {n for n in before.declared[p.name] if _within(n, p.old.package) not in kept}
        for name in sorted(n for n in gone if n in getattr(before, table)):
            moved = after.file_of.get(name) if name in getattr(after, table) else None
            detail = f"{kind} {name} was " + (f"moved to {moved}" if moved else "deleted")
            yield Violation(
                kind,
                "moved" if moved else "removed",
                name,
                detail,
                at=(name.rsplit(".", 1)[0], p.name),
            )

    return check


def _within(name: str, package: str) -> str:
    """``name`` relative to ``package`` (its nested name, as declared in a file of it)."""
    return name[len(package) + 1 :] if package and name.startswith(f"{package}.") else name


_FILE_OPTIONS = (
    "cc_enable_arenas",
    "cc_generic_services",
    "csharp_namespace",
    "go_package",
    "java_generic_services",
    "java_multiple_files",
    "java_outer_classname",
    "java_package",
    "objc_class_prefix",
    "optimize_for",
    "php_class_prefix",
    "php_metadata_namespace",
    "php_namespace",
    "py_generic_services",
    "ruby_package",
    "swift_prefix",
)

_OPTION_FIX = (
    "restore the old value: code generated for that language moves to another name, so its "
    "users' imports break"
)

RULES = (
    Rule(
        "FILE_NO_DELETE",
        "Checks that files are not deleted.",
        Kind.BREAKING,
        On.IMAGE,
        _FILE,
        file_no_delete,
        "restore the file (moving its elements to another file breaks generated imports)",
    ),
    Rule(
        "PACKAGE_NO_DELETE",
        "Checks that packages are not deleted.",
        Kind.BREAKING,
        On.IMAGE,
        _PACKAGE,
        package_no_delete,
        "restore the package",
    ),
    Rule(
        "PACKAGE_MESSAGE_NO_DELETE",
        "Checks that messages are not deleted from a given package.",
        Kind.BREAKING,
        On.IMAGE,
        _PACKAGE,
        _package_deletions("message", "messages"),
        "restore the message in its package",
    ),
    Rule(
        "PACKAGE_SERVICE_NO_DELETE",
        "Checks that services are not deleted from a given package.",
        Kind.BREAKING,
        On.IMAGE,
        _PACKAGE,
        _package_deletions("service", "services"),
        "restore the service in its package",
    ),
    Rule(
        "FILE_SAME_PACKAGE",
        "Checks that files have the same package.",
        Kind.BREAKING,
        On.FILE,
        ALL,
        same_package,
        "restore the old package; start a new package beside it instead",
    ),
    Rule(
        "FILE_SAME_SYNTAX",
        "Checks that files have the same syntax.",
        Kind.BREAKING,
        On.FILE,
        FILE_PACKAGE,
        same_syntax,
        "restore the old syntax (it changes field presence)",
    ),
    *(
        Rule(
            f"FILE_SAME_{option.upper()}",
            f"Checks that files have the same value for the {option} option.",
            Kind.BREAKING,
            On.FILE,
            FILE_PACKAGE,
            _same_option(option),
            _OPTION_FIX,
        )
        for option in _FILE_OPTIONS
    ),
    Rule(
        "EXTENSION_NO_DELETE",
        "Checks that extensions are not deleted from a given file.",
        Kind.BREAKING,
        On.FILE,
        _FILE,
        _declared_deletions("extension", "extensions"),
        "restore the extension in this file (code that sets or reads it stops compiling)",
    ),
    Rule(
        "MESSAGE_NO_DELETE",
        "Checks that messages are not deleted from a given file.",
        Kind.BREAKING,
        On.FILE,
        _FILE,
        _declared_deletions("message", "messages"),
        "restore the message in this file (moving it to another file breaks generated imports)",
    ),
    Rule(
        "ENUM_NO_DELETE",
        "Checks that enums are not deleted from a given file.",
        Kind.BREAKING,
        On.FILE,
        _FILE,
        _declared_deletions("enum", "enums"),
        "restore the enum in this file (moving it to another file breaks generated imports)",
    ),
    Rule(
        "SERVICE_NO_DELETE",
        "Checks that services are not deleted from a given file.",
        Kind.BREAKING,
        On.FILE,
        _FILE,
        _declared_deletions("service", "services"),
        "restore the service in this file, or deprecate it and keep it",
    ),
)
