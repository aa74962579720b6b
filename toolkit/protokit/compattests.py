"""Compatibility shim: compat-test modules generated before the reshape import
``protokit.compattests``; the code lives in ``protokit.evolution.compattests``."""

from protokit.evolution.compattests import ReleaseSuite

__all__ = ["ReleaseSuite"]
