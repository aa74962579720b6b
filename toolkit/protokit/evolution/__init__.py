"""Schema evolution: ``baseline`` (what to compare with: a git ref, a release, an image),
``breaking`` (``buf breaking`` as findings), ``apidiff`` (protokit's own diff and version bump),
``release`` (frozen releases), ``fixtures`` and ``compat`` (golden payloads and their wire and
JSON checks), ``compattests`` (the generated compat-test module), and ``checks`` (the
orchestration: ``run_evolution_checks``, ``run_diff``, ``run_release``)."""
