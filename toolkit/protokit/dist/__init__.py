"""The published stub wheel: what it holds (metadata), its version, building and publishing."""
