"""Docstrings from proto comments: escaped so a comment can never become code.

The text of a ``.proto`` comment lands between triple double quotes in generated modules and
typed stubs; here it is normalised, optionally re-wrapped, and escaped so that the literal is
exactly one string whose value is the comment.
"""

from __future__ import annotations

import re
import textwrap

__all__ = ["docstring", "docstring_body"]

_QUOTE = '"'


_ESCAPES: dict[int, str] = {
    **{code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if chr(code) not in "\n\t"},
    ord("\\"): "\\\\",
}
"""Backslashes doubled; control characters but newline and tab written as escapes."""
_SURROGATE = re.compile("[\ud800-\udfff]")  # lone surrogates cannot be written as UTF-8


def _escape(text: str) -> str:
    escaped = text.translate(_ESCAPES)
    if escaped.isascii():
        return escaped
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)


def _wrap(text: str, limit: int) -> str:
    """Break lines longer than ``limit`` at spaces, keeping each line's own indentation."""
    lines: list[str] = []
    for line in text.split("\n"):
        if len(line) <= limit:
            lines.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        lines.extend(
            textwrap.wrap(
                line,
                width=max(limit, len(lead) + 20),
                initial_indent="",
                subsequent_indent=lead,
                break_long_words=False,
                break_on_hyphens=False,
            )
            or [line]
        )
    return "\n".join(lines)


def docstring_body(comment: str, *, width: int | None = None) -> str:
    """The text of a proto comment, escaped to sit between triple double quotes.

    Dedented and stripped; ``\\r\\n`` normalised; backslashes doubled (so ``\\`` never starts an
    escape and a trailing backslash cannot eat the closing quotes); control characters written
    as escapes; every run of three quotes broken; a trailing quote escaped so it cannot merge
    with the closing ``\"\"\"``. The result, placed in ``\"\"\"...\"\"\"``, is exactly one string
    literal whose value is the comment text.
    """
    text = comment.replace("\r\n", "\n").replace("\r", "\n")
    text = textwrap.dedent(text).strip()
    if width is not None:
        text = _wrap(text, width)
    escaped = _escape(text)
    escaped = escaped.replace('"""', '\\"\\"\\"')
    if escaped.endswith(_QUOTE):
        # A bare final quote would merge with the closing quotes. All backslashes from the
        # comment were doubled, so an even run before the quote means the quote is bare.
        run = len(escaped) - 1 - len(escaped[:-1].rstrip("\\"))
        if run % 2 == 0:
            escaped = escaped[:-1] + '\\"'
    return escaped


def docstring(comment: str, indent: str = "", *, width: int | None = None) -> str:
    """A complete docstring literal for ``comment``, or ``""`` when the comment is empty.

    One line stays on one line; several lines follow PEP 257, continuation lines indented with
    ``indent`` and the closing quotes on their own line. Blank lines carry no trailing spaces.
    With ``width``, lines that would run past that column are re-wrapped at spaces (for code a
    line-length linter checks); without it the comment's lines are kept as they are.
    """
    limit = None if width is None else width - len(indent) - 6
    body = docstring_body(comment, width=limit)
    if not body:
        return ""
    lines = body.split("\n")
    if len(lines) == 1:
        return f'"""{body}"""'
    rest = [indent + line if line.strip() else "" for line in lines[1:]]
    return '"""' + "\n".join([lines[0], *rest]) + "\n" + indent + '"""'
