"""``protokit check``: lint, format, breaking changes, fixture compatibility and generated-file
staleness in one run and one verdict."""
