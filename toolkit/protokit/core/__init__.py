"""What every subsystem shares: errors, findings, the workspace and its path rules, naming and
escaping, compiled descriptors and their source index, templates, and the writer (the only
code that touches disk for outputs)."""
