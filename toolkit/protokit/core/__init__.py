"""What every subsystem shares, each concept in one module: ``errors`` and ``findings`` (what a
run reports), ``workspace`` (settings and the paths they may name), ``naming`` (identifiers,
escaping, docstrings), ``descriptors`` (the ``Image`` and the one walk over a file's messages),
``sourcemap`` (the one ``SourceCodeInfo`` index), ``templates`` (the Jinja loader), ``writer``
(plan, then apply: the only code that writes outputs), ``manifest`` (what a run generated) and
``atomic`` (temp file, fsync, rename)."""
