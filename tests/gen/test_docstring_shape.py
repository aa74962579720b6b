"""The shape check that spares a parse: it never passes text that is not valid Python."""

from __future__ import annotations

import ast
import random
import warnings

import pytest

from protokit.core.docstrings import docstring, docstrings_intact

PIECES = ['"""', '"', "\\", "\\\\", "a", " ", "x = 1", "\x00", "\t", "'", "\\n", '\\"\\"\\"']


def _comment(rng: random.Random, *, triple: bool = True) -> str:
    while True:
        lines = ["".join(rng.choice(PIECES) for _ in range(rng.randint(0, 6))) for _ in range(3)]
        comment = "\n".join(lines[: rng.randint(1, 3)])
        if triple or '"""' not in comment:
            return comment


def _unescaped(comment: str) -> str:
    """A generator that forgot to escape: the comment pasted between triple quotes."""
    lines = comment.split("\n")
    if len(lines) == 1:
        return f'    """{comment}"""'
    return '    """' + "\n    ".join(lines) + '\n    """'


def _valid(text: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # "\ " is valid, if deprecated
        try:
            ast.parse(text)
        except (SyntaxError, ValueError):
            return False
    return True


def test_text_the_check_calls_intact_always_parses_even_from_a_generator_that_forgot_escaping() -> (
    None
):
    rng = random.Random(20261203)
    intact = broken = 0
    for _ in range(8_000):
        body = _unescaped(_comment(rng, triple=False))  # the check's premise
        text = f"class A:\n{body}\n    x: int\n"
        if docstrings_intact(text):
            intact += 1
            assert _valid(text), text
        elif not _valid(text):
            broken += 1
    assert intact > 1000 and broken > 1000  # both kinds were tried


def test_escaped_comments_mostly_keep_a_shape_that_needs_no_parse() -> None:
    rng = random.Random(7)
    intact = 0
    for _ in range(2000):
        comment = _comment(rng).replace("\x00", "").replace("\t", "")
        literal = docstring(comment, "    ")
        text = f"class A:\n    {literal or 'pass'}\n    x: int\n"
        assert _valid(text), text
        intact += docstrings_intact(text)  # a comment opening with a quote is parsed instead
    assert intact > 1600


@pytest.mark.parametrize(
    ("text", "intact"),
    [
        ('"""One line."""\n', True),
        ('"""Several\nlines.\n"""\n', True),
        ('"""Quotes \\"\\"\\" escaped, \\\\ doubled."""\n', True),
        ('"""A lone \\ backslash."""\n', False),
        ('"""Three """ quotes inside."""\n', False),
        ('"""Closed early """\nx\n"""\n', False),
        ('"""Several\nlines closed early """\nx\n"""\n', False),
        ('"""Ends in a quote""""\n', False),
        ('""""Opens with a quote."""\n', True),
        ('"""A docstring."""\\\n', False),
        ("x: int  # \\\n", False),
        ('"""Four quotes""""\n', False),
        ('"""A \x00 control."""\n', False),
        ('"""Never closed.\n', False),
        ('@deprecated("""A message.""")\n', False),
    ],
)
def test_shapes(text: str, intact: bool) -> None:
    assert docstrings_intact(text) is intact
