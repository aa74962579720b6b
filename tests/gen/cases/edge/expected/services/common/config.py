"""How a service server is configured: address, token, TLS files and shutdown timing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import grpc


class ConfigError(Exception):
    """A setting that cannot work (an unreadable certificate, a port in use)."""


@dataclass(frozen=True)
class TlsFiles:
    """A PEM certificate chain and its private key, read when the server starts."""

    cert_file: Path
    key_file: Path

    def credentials(self) -> grpc.ServerCredentials:
        """Server credentials from the files; ConfigError names a file that cannot be read."""
        chain = _read(self.cert_file, "--tls-cert")
        key = _read(self.key_file, "--tls-key")
        return grpc.ssl_server_credentials([(key, chain)])


@dataclass(frozen=True)
class ServerConfig:
    """Everything a server needs besides its servicers.

    ``drain`` is how long health reports NOT_SERVING before the server stops taking calls (so
    load balancers notice); ``grace`` is how long in-flight calls then have to finish.
    """

    host: str = "127.0.0.1"
    port: int = 0
    token: str | None = None
    tls: TlsFiles | None = None
    drain: float = 0.0
    grace: float = 10.0
    max_workers: int = 64

    def dial_target(self, port: int) -> str:
        """The address a client on this machine dials to reach a server bound with this config."""
        host = self.host
        if host in ("", "0.0.0.0", "::", "[::]"):
            host = "127.0.0.1"
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{host}:{port}"

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host and not self.host.startswith("[") else self.host
        return f"{host}:{self.port}"


def _read(path: Path, option: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{option} {path}: {error.strerror or error}") from None
