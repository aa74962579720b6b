"""protokit's built-in Jinja templates (installed as ``protokit.builtin_templates``)."""
