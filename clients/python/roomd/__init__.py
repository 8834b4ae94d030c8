"""roomd: an asyncio client for roomd's WebSocket protocol (docs/PROTOCOL.md).

`connect()` gives a `Client` that reconnects by itself, resumes every joined room
without loss or duplicates and resends unacked sends; `Bot` adds `!commands`.
The HTTP admin API client lives in the subpackage `roomd.admin` (generated from the
server's OpenAPI document). See clients/python/README.md.
"""

from .backoff import Backoff
from .bot import Bot, CommandContext
from .client import Client, TokenProvider, TokenSource, connect
from .errors import (
    Banned,
    ClientClosed,
    DisconnectedByOperator,
    Muted,
    ProtocolViolation,
    RequestError,
    RoomClosedError,
    RoomdClosed,
    RoomdError,
    SendRejected,
    TokenExpired,
    TokenRevoked,
    Unauthorized,
    close_policy,
)
from .events import (
    Ack,
    Command,
    Deleted,
    Error,
    Event,
    Joined,
    Member,
    MemberJoined,
    MemberLeft,
    Message,
    MessageDeleted,
    Notice,
    Read,
    RoomClosed,
    Typing,
    User,
)

__version__ = "0.1.0"

__all__ = [
    "Ack",
    "Backoff",
    "Banned",
    "Bot",
    "Client",
    "ClientClosed",
    "Command",
    "CommandContext",
    "Deleted",
    "DisconnectedByOperator",
    "Error",
    "Event",
    "Joined",
    "Member",
    "MemberJoined",
    "MemberLeft",
    "Message",
    "MessageDeleted",
    "Muted",
    "Notice",
    "ProtocolViolation",
    "Read",
    "RequestError",
    "RoomClosed",
    "RoomClosedError",
    "RoomdClosed",
    "RoomdError",
    "SendRejected",
    "TokenExpired",
    "TokenProvider",
    "TokenRevoked",
    "TokenSource",
    "Typing",
    "Unauthorized",
    "User",
    "close_policy",
    "connect",
]
