"""Naming and escaping: identifiers, collisions and docstrings from hostile proto text."""

from __future__ import annotations

import ast
import textwrap

import pytest

from protokit.core.docstrings import docstring, docstring_body
from protokit.core.naming import (
    Avoid,
    NameCollisionError,
    check_unique,
    find_collisions,
    is_identifier,
    is_reserved,
    module_path_problem,
    pascal_case,
    safe_identifier,
    snake_case,
)


@pytest.mark.parametrize(
    ("name", "avoid", "expected"),
    [
        ("GetUser", Avoid.KEYWORDS, "GetUser"),
        ("class", Avoid.KEYWORDS, "class_"),
        ("None", Avoid.KEYWORDS, "None_"),
        ("async", Avoid.KEYWORDS, "async_"),
        ("await", Avoid.KEYWORDS, "await_"),
        ("match", Avoid.KEYWORDS, "match"),
        ("match", Avoid.SOFT_KEYWORDS, "match_"),
        ("type", Avoid.ALL, "type_"),
        ("int", Avoid.KEYWORDS, "int"),
        ("int", Avoid.BUILTINS, "int_"),
        ("object", Avoid.ALL, "object_"),
        ("1foo", Avoid.KEYWORDS, "_1foo"),
        ("foo-bar.baz", Avoid.KEYWORDS, "foo_bar_baz"),
        ("", Avoid.KEYWORDS, "_"),
        ("ﬁle", Avoid.KEYWORDS, "file"),  # NFKC: the ligature is the name Python sees
        ("héllo", Avoid.KEYWORDS, "héllo"),
    ],
)
def test_safe_identifier_mangles_only_what_it_must(name: str, avoid: Avoid, expected: str) -> None:
    result = safe_identifier(name, avoid=avoid)
    assert result == expected
    assert is_identifier(result)


@pytest.mark.parametrize("name", ["class", "def", "import", "from", "lambda", "True", "yield"])
def test_every_keyword_is_reserved_whatever_is_avoided(name: str) -> None:
    assert is_reserved(name, Avoid(0))
    assert not is_identifier(name)


@pytest.mark.parametrize(
    ("text", "snake", "pascal"),
    [
        ("GetUserRequest", "get_user_request", "GetUserRequest"),
        ("get-user", "get_user", "GetUser"),
        ("getUser", "get_user", "GetUser"),
        ("HTTPServer", "http_server", "HTTPServer"),
        ("billing", "billing", "Billing"),
        ("list_users_v2", "list_users_v2", "ListUsersV2"),
        ("  spaced  name ", "spaced_name", "SpacedName"),
    ],
)
def test_case_conversion_of_user_input(text: str, snake: str, pascal: str) -> None:
    assert snake_case(text) == snake
    assert pascal_case(text) == pascal


@pytest.mark.parametrize(
    ("dotted", "problem"),
    [
        ("acme.user.v1.user_pb2", None),
        ("acme.class.v1.user_pb2", "'class' is a Python keyword"),
        ("acme.user.v1.1user_pb2", "'1user_pb2' starts with a digit"),
        ("acme.user-v1.x_pb2", "'user-v1' is not a Python identifier"),
        ("acme.match.v1.x_pb2", None),
    ],
)
def test_module_path_problem_names_the_part_that_cannot_be_imported(
    dotted: str, problem: str | None
) -> None:
    assert module_path_problem(dotted) == problem


def test_distinct_names_that_mangle_to_one_python_name_collide() -> None:
    pairs = [(n, safe_identifier(n)) for n in ["class", "class_", "other"]]
    found = find_collisions("service acme.v1.S", pairs)
    assert [(c.python_name, c.sources) for c in found] == [("class_", ("class", "class_"))]
    with pytest.raises(NameCollisionError, match=r"'class', 'class_' all become .*'class_'"):
        check_unique("service acme.v1.S", pairs, path="a.proto", line=3)


def test_the_same_source_twice_is_not_a_collision() -> None:
    assert find_collisions("scope", [("a", "a"), ("a", "a"), ("b", "b")]) == []


HOSTILE_COMMENTS = [
    'ends with a quote"',
    'ends with two quotes""',
    'ends with three quotes"""',
    'ends with four quotes""""',
    "ends with a backslash\\",
    "ends with two backslashes\\\\",
    'ends with backslash quote\\"',
    '"""\nimport os\nos.system("echo pwned")\n"""',
    "'''single triple'''",
    '""" + __import__("os").system("x") + """',
    "\\N{BULLET} is not an escape here \\x41 \\u0041 \\n",
    "nul\x00byte and bell\x07 and escape\x1b[31m",
    "windows\r\nline\rendings",
    "    indented\n      more indented\n    back",
    '"starts with a quote',
    '""""""',
    '"',
    "\\",
    "lone surrogate \ud800 here",
    "unicode line separator \u2028 and nel \x85 and ff \x0c",
    "{{ jinja }} {% raw %} ${shell} `backtick`",
    "# a comment\ndef f(): pass",
]


@pytest.mark.parametrize("comment", HOSTILE_COMMENTS)
def test_a_hostile_comment_becomes_exactly_one_docstring(comment: str) -> None:
    literal = docstring(comment, indent="    ")
    source = f"class C:\n    {literal}\n\n    x = 1\n"
    tree = ast.parse(source)
    cls = tree.body[0]
    assert isinstance(cls, ast.ClassDef)
    assert len(tree.body) == 1
    assert len(cls.body) == 2
    first = cls.body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    # The docstring's value is the comment text (dedented, stripped, newlines normalised).
    expected = textwrap.dedent(comment.replace("\r\n", "\n").replace("\r", "\n")).strip()
    lines = expected.split("\n")
    if len(lines) > 1:  # PEP 257: continuation lines indented, closing quotes on their own line
        indented = [lines[0], *("    " + line if line.strip() else "" for line in lines[1:])]
        expected = "\n".join(indented) + "\n    "
    assert first.value.value == expected


def test_a_one_line_comment_gives_a_one_line_docstring() -> None:
    assert (
        docstring(" GetUser returns one user by id.\n") == '"""GetUser returns one user by id."""'
    )


def test_a_multi_line_comment_follows_pep_257() -> None:
    assert docstring(" First line.\n\n More text.\n", indent="    ") == (
        '"""First line.\n\n    More text.\n    """'
    )


def test_an_empty_comment_gives_no_docstring() -> None:
    assert docstring("  \n ") == ""


@pytest.mark.parametrize(
    ("comment", "body"),
    [
        ('a"', 'a\\"'),
        ("a\\", "a\\\\"),
        ('a"""b', 'a\\"\\"\\"b'),
        ("tab\there", "tab\there"),
    ],
)
def test_docstring_body_escapes(comment: str, body: str) -> None:
    assert docstring_body(comment) == body


def test_width_rewraps_only_the_lines_that_would_be_too_long() -> None:
    comment = (
        "short line\n" + " ".join(["word"] * 30) + "\n  indented keeps its indent " + "x " * 40
    )
    literal = docstring(comment, indent="    ", width=60)
    assert all(len("    " + line) <= 60 for line in literal.split("\n")[1:])
    assert literal.startswith('"""short line\n    word word')
    tree = ast.parse(f"def f():\n    {literal}\n")
    func = tree.body[0]
    assert isinstance(func, ast.FunctionDef) and ast.get_docstring(func) is not None
