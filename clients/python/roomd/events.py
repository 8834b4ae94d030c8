"""Typed events: the dataclasses the client hands to the application, and
`parse_event()`, which turns a server frame (a JSON object) into one of them.

Frame shapes are those of docs/PROTOCOL.md. Every event keeps the frame it came
from in `raw`, so fields added by later protocol versions stay reachable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class User:
    """A user as frames name one: `id`, display `name`, `kind` (user, bot, admin, system)."""

    id: str
    name: str
    kind: str

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> User:
        d = d or {}
        return cls(id=str(d.get("id", "")), name=str(d.get("name", "")), kind=str(d.get("kind", "")))


@dataclass(frozen=True)
class Member:
    """An entry of `joined.members`."""

    id: str
    name: str
    kind: str
    role: str
    online: bool


@dataclass(frozen=True)
class Message:
    """A stored message (`message` frame, or an item of a history page).

    A deleted message is a tombstone: `deleted` is true, `text` is "", `deleted_by`
    is the deleter's user id (`system` for an operator) and `deleted_at` the RFC 3339
    time of the deletion; both are None on a message that is not deleted."""

    room: str
    seq: int
    sender: User
    text: str
    ts: str
    client_id: str | None = None
    reply_to: str | None = None
    announcement: bool = False
    deleted: bool = False
    deleted_by: str | None = None
    deleted_at: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Message:
        deleted = bool(d.get("deleted", False))
        return cls(
            room=d["room"],
            seq=int(d["seq"]),
            sender=User.from_json(d.get("from")),
            text=d.get("text", ""),
            ts=d.get("ts", ""),
            client_id=d.get("client_id"),
            reply_to=d.get("reply_to"),
            announcement=bool(d.get("announcement", False)),
            deleted=deleted,
            deleted_by=_opt_str(d.get("deleted_by")) if deleted else None,
            deleted_at=_opt_str(d.get("deleted_at")) if deleted else None,
            raw=d,
        )


def _opt_str(v: Any) -> str | None:
    return None if v is None else str(v)


@dataclass(frozen=True)
class MessageDeleted:
    """Message `seq` of `room` was deleted (`message_deleted`): it is a tombstone
    now. `deleted_by` is the deleter's user id (`system` when an operator deleted it
    through the admin API), `deleted_at` the RFC 3339 time. Delivered after the
    `Message` it is about."""

    room: str
    seq: int
    deleted_by: str
    deleted_at: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> MessageDeleted:
        return cls(
            room=str(d.get("room", "")),
            seq=int(d.get("seq", 0)),
            deleted_by=str(d.get("deleted_by", "")),
            deleted_at=str(d.get("deleted_at", "")),
            raw=d,
        )


@dataclass(frozen=True)
class Deleted:
    """The answer to `Client.delete()`: message `seq` of `room` is a tombstone,
    deleted by `deleted_by` at `deleted_at` (RFC 3339). Deleting a tombstone again
    answers the original deletion."""

    room: str
    seq: int
    deleted_by: str
    deleted_at: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Joined:
    """The room was joined (also after every reconnect: `resumed` is then true).

    `truncated` is the server's flag: more messages were missed than it replays; the
    client then pages the gap with `history` before it delivers live messages, so the
    application still sees every message (see README, "Reconnects").
    """

    room: str
    seq: int
    last_read_seq: int
    unread: int
    truncated: bool
    members: tuple[Member, ...]
    resumed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class MemberJoined:
    """`user` joined `room` with their first session."""

    room: str
    user: User
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class MemberLeft:
    """`user`'s last session left `room` (or disconnected)."""

    room: str
    user: User
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Typing:
    """`user` started (`active`) or stopped typing in `room`."""

    room: str
    user: User
    active: bool
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Read:
    """A read receipt: `user` has read `room` up to `seq`."""

    room: str
    user: User
    seq: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Notice:
    """A remark for this session only, never stored (spam refusals with `reason`,
    command refusals, a bot that did not answer)."""

    room: str
    text: str
    reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Error:
    """An `error` frame that answers nothing the library is waiting for (requests it
    made raise `RequestError` instead). `code` is the protocol's error code."""

    code: str
    message: str
    retry_after_ms: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class RoomClosed:
    """The room was deleted or this user removed (`reason`: `deleted`, `kicked`,
    `banned`), or a rejoin after a reconnect was refused (`reason`: the error code,
    e.g. `banned`, `forbidden`, `not_found`); the client no longer rejoins it."""

    room: str
    reason: str
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Command:
    """A `!command` invocation forwarded to this bot (docs/PROTOCOL.md, Bots)."""

    room: str
    invocation: str
    name: str
    args: str
    sender: User
    seq: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class Ack:
    """The answer to a `send`: the message is stored with `seq`. `duplicate` is true
    when the server already had this `client_id` (a resend)."""

    room: str
    seq: int
    client_id: str
    duplicate: bool


Event = Union[Message, MessageDeleted, Joined, MemberJoined, MemberLeft, Typing, Read, Notice, Error, RoomClosed, Command]


def parse_members(items: list[dict[str, Any]] | None) -> tuple[Member, ...]:
    return tuple(
        Member(
            id=str(m.get("id", "")),
            name=str(m.get("name", "")),
            kind=str(m.get("kind", "")),
            role=str(m.get("role", "")),
            online=bool(m.get("online", False)),
        )
        for m in (items or [])
    )


def parse_event(d: dict[str, Any]) -> Event | None:
    """The event for a server frame, or None for frames that are no event (acks,
    replies, `hello`, `pong`, unknown types). `joined` and `message` are built by the
    client itself, which tracks them per room."""
    t = d.get("type")
    room = str(d.get("room", ""))
    if t == "message":
        return Message.from_json(d)
    if t == "message_deleted":
        return MessageDeleted.from_json(d)
    if t == "member_joined":
        return MemberJoined(room, User.from_json(d.get("user")), raw=d)
    if t == "member_left":
        return MemberLeft(room, User.from_json(d.get("user")), raw=d)
    if t == "typing":
        return Typing(room, User.from_json(d.get("user")), bool(d.get("active")), raw=d)
    if t == "read":
        return Read(room, User.from_json(d.get("user")), int(d.get("seq", 0)), raw=d)
    if t == "notice":
        return Notice(room, str(d.get("text", "")), d.get("reason"), raw=d)
    if t == "error":
        return Error(str(d.get("code", "")), str(d.get("message", "")), d.get("retry_after_ms"), raw=d)
    if t == "room_closed":
        return RoomClosed(room, str(d.get("reason", "")), raw=d)
    if t == "command":
        return Command(
            room=room,
            invocation=str(d.get("invocation", "")),
            name=str(d.get("name", "")),
            args=str(d.get("args", "")),
            sender=User.from_json(d.get("from")),
            seq=int(d.get("seq", 0)),
            raw=d,
        )
    return None
