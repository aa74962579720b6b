"""Server plumbing shared by every service: config, interceptors, errors, mailboxes, servers."""

from services.common.config import ConfigError, ServerConfig, TlsFiles
from services.common.errors import (
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    ServiceError,
    Unavailable,
    Violation,
    abort,
    abort_aio,
)
from services.common.mailbox import CloseReason, Delivery, Mailbox, MailboxClosed, Overflow
from services.common.server import RunningServer, ServiceSpec, start_server
from services.common.server_aio import AioServiceSpec, RunningAioServer, start_server_aio

__all__ = [
    "AioServiceSpec",
    "CloseReason",
    "ConfigError",
    "Delivery",
    "InvalidArgument",
    "Mailbox",
    "MailboxClosed",
    "NotFound",
    "Overflow",
    "ResourceExhausted",
    "RunningAioServer",
    "RunningServer",
    "ServerConfig",
    "ServiceError",
    "ServiceSpec",
    "TlsFiles",
    "Unavailable",
    "Violation",
    "abort",
    "abort_aio",
    "start_server",
    "start_server_aio",
]
