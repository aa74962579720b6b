"""Compatibility shim: the ``protoc-gen-grpc_python`` plugin lives in ``protokit.gen.plugin``."""

from protokit.gen.plugin import main

__all__ = ["main"]
