"""protokit: a Protobuf contract and schema-evolution toolkit for Python teams."""

from protokit.core.errors import ExitCode, ProtokitError, UsageError
from protokit.core.findings import Finding, OutputFormat

__version__ = "0.1.0"

__all__ = ["ExitCode", "Finding", "OutputFormat", "ProtokitError", "UsageError", "__version__"]
