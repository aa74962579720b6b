"""Every subprocess protokit runs lives here: buf (and the image it builds), grpcio-tools'
protoc, ruff. Each call has a timeout, and each tool's output is parsed into protokit data."""
