"""Reference implementations of the example contracts, run with ``python -m services.<domain>``."""
