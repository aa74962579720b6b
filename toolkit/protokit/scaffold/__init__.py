"""Scaffolding: ``new-service`` (answers → contract → gen) and ``new-version`` (the next major
version of a package beside the old one)."""
