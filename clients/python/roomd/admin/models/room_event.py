from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.room_event_name import RoomEventName
from ..types import UNSET, Unset

T = TypeVar("T", bound="RoomEvent")


@_attrs_define
class RoomEvent:
    """Schema only: one Server-Sent Event of `GET /api/v1/rooms/{id}/events`.

    Attributes:
        data (str): JSON: for `message` the message (`MessageItem`), for `message_deleted`
            `{room,seq,deleted_by,deleted_at}`, for `room_deleted` `{room}`. Example:
            {"room":"lobby","seq":42,"deleted_by":"system","deleted_at":"2026-12-06T10:00:00.000Z"}.
        event (RoomEventName): The name of a room event: `message`, `message_deleted`, `room_deleted` (the last
            one: the stream ends after it).
        id (int | None | Unset): The seq of a `message` (what a reconnecting client sends as `Last-Event-ID`);
            absent on the other events.
    """

    data: str
    event: RoomEventName
    id: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        event = self.event.value

        id: int | None | Unset
        if isinstance(self.id, Unset):
            id = UNSET
        else:
            id = self.id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "event": event,
            }
        )
        if id is not UNSET:
            field_dict["id"] = id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        data = d.pop("data")

        event = RoomEventName(d.pop("event"))

        def _parse_id(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        id = _parse_id(d.pop("id", UNSET))

        room_event = cls(
            data=data,
            event=event,
            id=id,
        )

        room_event.additional_properties = d
        return room_event

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
