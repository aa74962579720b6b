"""Recorded RPC conversations: what a consumer relies on, replayed against the implementation.

A conversation is one JSON file per case under ``compat/conversations/<package>/<Service>/<Rpc>/``:
the client's messages and the server's, in the order they interleave, the final status (code,
message, ``google.rpc.Status`` details), metadata keys, and matchers for fields that vary.

- ``model``     the conversation as data: calls, steps, statuses (frozen);
- ``parse``     the file format read and checked against a schema (one located error);
- ``dump``      the canonical text written back;
- ``matchers``  the four matchers (type, present, non_empty, regex), each a record + a function;
- ``compare``   the first difference between what was expected and what was seen;
- ``replay``    drive a conversation through a real channel, bounded by its deadline;
- ``proxy``     the recording proxy between a client and a real server;
- ``record``    a client command run through the proxy, its calls as cases;
- ``credentials`` credential metadata kept as placeholders, filled again at replay;
- ``repository`` where conversations live, and their findings for ``protokit check``;
- ``harness``   what the generated pytest module calls (servers per flavour, replay, reports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from protokit import lazy_exports

__all__ = ["Call", "Conversation", "Step", "load_conversation"]

# Imported on first use (PEP 562): ``check`` loads ``repository`` without the model and parser
# when a repository has no conversations.
_HOMES = {
    "Call": "protokit.conversations.model",
    "Conversation": "protokit.conversations.model",
    "Step": "protokit.conversations.model",
    "load_conversation": "protokit.conversations.parse",
}

if TYPE_CHECKING:
    from protokit.conversations.model import Call, Conversation, Step
    from protokit.conversations.parse import load_conversation


__getattr__ = lazy_exports(__name__, _HOMES)
