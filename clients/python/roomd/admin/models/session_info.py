from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.token_kind import TokenKind

T = TypeVar("T", bound="SessionInfo")


@_attrs_define
class SessionInfo:
    """One live session, as it was when asked.

    Attributes:
        connected_at (datetime.datetime): When the session started (RFC 3339, UTC).
        frames_in (int): Text and binary frames received from the client (control frames not counted).
        frames_out (int): Text frames written to the client (`hello`, replies, deliveries).
        id (str): The session's id (`hello.session`), stable while it lives. Example: s2a-9f3c01de.
        kind (TokenKind): The kind of an access token (`system` is roomd's own and has none).
        node (None | str): Cluster mode: the node that holds the connection; null otherwise.
        outbound_queue_bytes (int): Bytes written but not yet taken by the client's socket (at most about
            `limits.max_outbound_bytes`: beyond it the client is cut off as a slow consumer).
        outbound_queue_messages (int): Deliveries queued in the session's mailbox, not written yet.
        remote_addr (None | str): The client's address: the peer's, or from a trusted proxy (`server.trusted_proxies`)
            what its `X-Forwarded-For` says. Null when the connection has no IP peer. Example: 203.0.113.9.
        rooms (list[str]): The rooms it has joined, by id.
        token_id (None | str): The opaque token it authenticated with (null for a JWT).
        user_agent (None | str): The upgrade request's `User-Agent` (null without one; at most 256 characters kept).
        user_id (str): The user id of its token (a token's `name`, a JWT's `sub`).
        user_name (str): The user's display name.
    """

    connected_at: datetime.datetime
    frames_in: int
    frames_out: int
    id: str
    kind: TokenKind
    node: None | str
    outbound_queue_bytes: int
    outbound_queue_messages: int
    remote_addr: None | str
    rooms: list[str]
    token_id: None | str
    user_agent: None | str
    user_id: str
    user_name: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        connected_at = self.connected_at.isoformat()

        frames_in = self.frames_in

        frames_out = self.frames_out

        id = self.id

        kind = self.kind.value

        node: None | str
        node = self.node

        outbound_queue_bytes = self.outbound_queue_bytes

        outbound_queue_messages = self.outbound_queue_messages

        remote_addr: None | str
        remote_addr = self.remote_addr

        rooms = self.rooms

        token_id: None | str
        token_id = self.token_id

        user_agent: None | str
        user_agent = self.user_agent

        user_id = self.user_id

        user_name = self.user_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "connected_at": connected_at,
                "frames_in": frames_in,
                "frames_out": frames_out,
                "id": id,
                "kind": kind,
                "node": node,
                "outbound_queue_bytes": outbound_queue_bytes,
                "outbound_queue_messages": outbound_queue_messages,
                "remote_addr": remote_addr,
                "rooms": rooms,
                "token_id": token_id,
                "user_agent": user_agent,
                "user_id": user_id,
                "user_name": user_name,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        connected_at = datetime.datetime.fromisoformat(d.pop("connected_at"))

        frames_in = d.pop("frames_in")

        frames_out = d.pop("frames_out")

        id = d.pop("id")

        kind = TokenKind(d.pop("kind"))

        def _parse_node(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        node = _parse_node(d.pop("node"))

        outbound_queue_bytes = d.pop("outbound_queue_bytes")

        outbound_queue_messages = d.pop("outbound_queue_messages")

        def _parse_remote_addr(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        remote_addr = _parse_remote_addr(d.pop("remote_addr"))

        rooms = cast(list[str], d.pop("rooms"))

        def _parse_token_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        token_id = _parse_token_id(d.pop("token_id"))

        def _parse_user_agent(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        user_agent = _parse_user_agent(d.pop("user_agent"))

        user_id = d.pop("user_id")

        user_name = d.pop("user_name")

        session_info = cls(
            connected_at=connected_at,
            frames_in=frames_in,
            frames_out=frames_out,
            id=id,
            kind=kind,
            node=node,
            outbound_queue_bytes=outbound_queue_bytes,
            outbound_queue_messages=outbound_queue_messages,
            remote_addr=remote_addr,
            rooms=rooms,
            token_id=token_id,
            user_agent=user_agent,
            user_id=user_id,
            user_name=user_name,
        )

        session_info.additional_properties = d
        return session_info

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
