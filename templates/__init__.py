"""protokit's built-in Jinja templates (installed as ``protokit.templates``)."""
