"""``protokit gen``: descriptors → model → stubs, typed stubs and servicer skeletons → verify →
plan → write. ``pipeline.run_gen`` reads as those stages in order; ``model`` is the frozen model
the templates place values from (``model_build`` builds it), ``stubs`` runs protoc in batches,
``skeletons`` plans the servicer packages, ``servicers`` renders them and their starter tests,
and ``plugin`` is the ``buf generate`` plugin."""
