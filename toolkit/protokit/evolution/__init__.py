"""Schema evolution: baselines, ``buf breaking``, the API diff and its rules, frozen releases,
golden fixtures and their compatibility checks, and the generated compat-test module."""
