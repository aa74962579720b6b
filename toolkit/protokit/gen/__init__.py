"""``protokit gen``: descriptors → model → stubs, typed stubs and servicer skeletons → verify →
plan → write. ``run_gen`` (in ``pipeline``) reads as those stages in order."""
