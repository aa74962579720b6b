"""gRPC servicers for this repository's contracts."""
