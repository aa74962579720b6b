"""``protokit check``: lint, format, breaking changes, fixture compatibility and generated-file
staleness in one run and one verdict. ``run.run_check`` gathers them; ``lint`` turns
``buf lint`` and ``buf format`` into findings."""
