"""Scaffolding: ``new_service`` (answers → contract → gen, refusing to clobber what a user owns),
``answers`` (the recorded answers a re-run reads back) and ``new_version`` (the next major
version of a package beside the old one)."""
