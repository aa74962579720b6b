"""Docstrings from proto comments: escaped so a comment can never become code.

The text of a ``.proto`` comment lands between triple double quotes in generated modules and
typed stubs; here it is normalised, optionally re-wrapped, and escaped so that the literal is
exactly one string whose value is the comment.
"""

from __future__ import annotations

import re
import textwrap

from google.protobuf import descriptor_pb2

__all__ = ["docstring", "docstring_body", "docstrings_intact", "triple_quotes_in_comments"]

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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_KNOWN_ESCAPE = re.compile(r'\\[\\"]')  # \\ and \" , read left to right as Python does
_TRIPLE = '"""'


def triple_quotes_in_comments(proto: descriptor_pb2.FileDescriptorProto) -> bool:
    """Whether any comment of ``proto`` holds three double quotes in a row."""
    return _TRIPLE.encode() in proto.source_code_info.SerializeToString()


def docstrings_intact(text: str) -> bool:
    """Whether generated text is, by its shape, free of anything a comment could have broken.

    For text that holds names the model checked and docstrings made from comments holding no
    three quotes in a row (``triple_quotes_in_comments``; else the text must be parsed), as
    mypy-protobuf's stubs and protokit's built-in templates are. Then a comment can break
    its docstring only through a control character, a backslash escaping what follows it, or
    a quote running into the closing quotes. So the text is intact when it has no control
    character, no backslash outside a docstring, no escape in one but ``\\\\`` and ``\\"``
    (read left to right, as Python reads them), and every docstring opens at the start of a
    line and closes at the end of that line or on a later line holding only the three quotes,
    with nothing after its closing quotes. Lines with neither quotes nor backslashes cannot
    change where a docstring ends, so only the others are read.
    """
    if _CONTROL.search(text):
        return False
    inside = False
    pos, size = 0, len(text)
    while pos < size:
        quotes, backslash = text.find(_TRIPLE, pos), text.find("\\", pos)
        at = min(quotes, backslash) if quotes >= 0 and backslash >= 0 else max(quotes, backslash)
        if at < 0:
            break
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = size if end < 0 else end
        pos = end + 1
        line = text[start:end].strip()
        opening = not inside
        if opening:
            if not line.startswith(_TRIPLE):
                return False  # a backslash or three quotes where code goes
            line = line[3:]
        if "\\" in line:
            line = _KNOWN_ESCAPE.sub("_", line)  # every quote left is a real quote
            if "\\" in line:
                return False  # an escape the generators never write, or a lone backslash
        closes = line.find(_TRIPLE)
        if closes < 0:
            inside = True
            continue
        if line[closes:] != _TRIPLE or (not opening and line != _TRIPLE):
            return False  # something after the closing quotes, or a comment line closing it
        inside = False
    return not inside
