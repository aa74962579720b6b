"""Rules over a service kept under its full name, and its RPCs kept under their names."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from google.protobuf import descriptor_pb2 as d

from protokit.evolution.rules import ALL, FILE_PACKAGE, Kind, On, Pair, Rule, Violation


def rpc_no_delete(p: Pair) -> Iterator[Violation]:
    kept = {m.name for m in p.new.method}
    for method in p.old.method:
        if method.name not in kept:
            name = f"{p.name}.{method.name}"
            yield Violation("rpc", "removed", name, f"RPC {name} was deleted", at=(p.name,))


M = d.MethodDescriptorProto


def _same(
    what: str, get: Callable[[d.MethodDescriptorProto], str], part: tuple[int, ...] = ()
) -> Callable[[Pair], Iterator[Violation]]:
    def check(p: Pair) -> Iterator[Violation]:
        before, after = get(p.old), get(p.new)
        if before != after:
            yield Violation(
                "rpc",
                "changed",
                p.name,
                f"RPC {p.name} changed {what} from {before} to {after}",
                at=(p.name, p.name.rsplit(".", 1)[0]),
                part=part,
            )

    return check


def _streaming(flag: bool) -> str:
    return "streaming" if flag else "unary"


_STREAM_FIX = "restore the RPC's streaming kind, or add a new RPC"

RULES = (
    Rule(
        "RPC_NO_DELETE",
        "Checks that rpcs are not deleted from a given service.",
        Kind.BREAKING,
        On.SERVICE,
        FILE_PACKAGE,
        rpc_no_delete,
        "restore the RPC, or mark it `option deprecated = true;` and keep it",
    ),
    Rule(
        "RPC_SAME_REQUEST_TYPE",
        "Checks that rpcs are have the same request type.",
        Kind.BREAKING,
        On.RPC,
        ALL,
        _same("request type", lambda m: m.input_type.lstrip("."), (M.INPUT_TYPE_FIELD_NUMBER,)),
        "restore the request type, or add a new RPC",
    ),
    Rule(
        "RPC_SAME_RESPONSE_TYPE",
        "Checks that rpcs are have the same response type.",
        Kind.BREAKING,
        On.RPC,
        ALL,
        _same("response type", lambda m: m.output_type.lstrip("."), (M.OUTPUT_TYPE_FIELD_NUMBER,)),
        "restore the response type, or add a new RPC",
    ),
    Rule(
        "RPC_SAME_CLIENT_STREAMING",
        "Checks that rpcs have the same client streaming value.",
        Kind.BREAKING,
        On.RPC,
        ALL,
        _same("client streaming", lambda m: _streaming(m.client_streaming)),
        _STREAM_FIX,
    ),
    Rule(
        "RPC_SAME_SERVER_STREAMING",
        "Checks that rpcs have the same server streaming value.",
        Kind.BREAKING,
        On.RPC,
        ALL,
        _same("server streaming", lambda m: _streaming(m.server_streaming)),
        _STREAM_FIX,
    ),
    Rule(
        "RPC_SAME_IDEMPOTENCY_LEVEL",
        "Checks that rpcs have the same value for the idempotency_level option.",
        Kind.BREAKING,
        On.RPC,
        ALL,
        _same(
            "idempotency level",
            lambda m: d.MethodOptions.IdempotencyLevel.Name(m.options.idempotency_level),
            (M.OPTIONS_FIELD_NUMBER, d.MethodOptions.IDEMPOTENCY_LEVEL_FIELD_NUMBER),
        ),
        "restore the old idempotency_level",
    ),
)
