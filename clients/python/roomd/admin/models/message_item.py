from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.message_type import MessageType
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.message_from import MessageFrom


T = TypeVar("T", bound="MessageItem")


@_attrs_define
class MessageItem:
    """Schema only: a stored message, shaped like the WebSocket `message` frame.

    Attributes:
        client_id (None | str):
        from_ (MessageFrom): Schema only: the sender of a message.
        room (str):
        seq (int):
        text (str):
        ts (datetime.datetime):
        type_ (MessageType): The `type` of a stored message (as of the WebSocket `message` frame).
        announcement (bool | None | Unset): Present (and true) only on messages posted by `!announce`.
        deleted (bool | None | Unset): Present (and true) only on tombstones: a deleted message, its `text` empty.
        deleted_at (datetime.datetime | None | Unset): Tombstones only: when it was deleted.
        deleted_by (None | str | Unset): Tombstones only: who deleted it (a user id; `system` for an operator).
        reply_to (None | str | Unset): The bot's answer to a command: the `invocation` id it answers.
    """

    client_id: None | str
    from_: MessageFrom
    room: str
    seq: int
    text: str
    ts: datetime.datetime
    type_: MessageType
    announcement: bool | None | Unset = UNSET
    deleted: bool | None | Unset = UNSET
    deleted_at: datetime.datetime | None | Unset = UNSET
    deleted_by: None | str | Unset = UNSET
    reply_to: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        client_id: None | str
        client_id = self.client_id

        from_ = self.from_.to_dict()

        room = self.room

        seq = self.seq

        text = self.text

        ts = self.ts.isoformat()

        type_ = self.type_.value

        announcement: bool | None | Unset
        if isinstance(self.announcement, Unset):
            announcement = UNSET
        else:
            announcement = self.announcement

        deleted: bool | None | Unset
        if isinstance(self.deleted, Unset):
            deleted = UNSET
        else:
            deleted = self.deleted

        deleted_at: None | str | Unset
        if isinstance(self.deleted_at, Unset):
            deleted_at = UNSET
        elif isinstance(self.deleted_at, datetime.datetime):
            deleted_at = self.deleted_at.isoformat()
        else:
            deleted_at = self.deleted_at

        deleted_by: None | str | Unset
        if isinstance(self.deleted_by, Unset):
            deleted_by = UNSET
        else:
            deleted_by = self.deleted_by

        reply_to: None | str | Unset
        if isinstance(self.reply_to, Unset):
            reply_to = UNSET
        else:
            reply_to = self.reply_to

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "client_id": client_id,
                "from": from_,
                "room": room,
                "seq": seq,
                "text": text,
                "ts": ts,
                "type": type_,
            }
        )
        if announcement is not UNSET:
            field_dict["announcement"] = announcement
        if deleted is not UNSET:
            field_dict["deleted"] = deleted
        if deleted_at is not UNSET:
            field_dict["deleted_at"] = deleted_at
        if deleted_by is not UNSET:
            field_dict["deleted_by"] = deleted_by
        if reply_to is not UNSET:
            field_dict["reply_to"] = reply_to

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.message_from import MessageFrom

        d = dict(src_dict)

        def _parse_client_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        client_id = _parse_client_id(d.pop("client_id"))

        from_ = MessageFrom.from_dict(d.pop("from"))

        room = d.pop("room")

        seq = d.pop("seq")

        text = d.pop("text")

        ts = datetime.datetime.fromisoformat(d.pop("ts"))

        type_ = MessageType(d.pop("type"))

        def _parse_announcement(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        announcement = _parse_announcement(d.pop("announcement", UNSET))

        def _parse_deleted(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        deleted = _parse_deleted(d.pop("deleted", UNSET))

        def _parse_deleted_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                deleted_at_type_0 = datetime.datetime.fromisoformat(data)

                return deleted_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        deleted_at = _parse_deleted_at(d.pop("deleted_at", UNSET))

        def _parse_deleted_by(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        deleted_by = _parse_deleted_by(d.pop("deleted_by", UNSET))

        def _parse_reply_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reply_to = _parse_reply_to(d.pop("reply_to", UNSET))

        message_item = cls(
            client_id=client_id,
            from_=from_,
            room=room,
            seq=seq,
            text=text,
            ts=ts,
            type_=type_,
            announcement=announcement,
            deleted=deleted,
            deleted_at=deleted_at,
            deleted_by=deleted_by,
            reply_to=reply_to,
        )

        message_item.additional_properties = d
        return message_item

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
