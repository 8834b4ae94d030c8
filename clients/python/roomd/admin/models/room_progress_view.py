from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.broadcast_room_status import BroadcastRoomStatus

T = TypeVar("T", bound="RoomProgressView")


@_attrs_define
class RoomProgressView:
    """One target room of a job.

    Attributes:
        attempts (int):
        last_error (None | str):
        room (str):
        seq (int | None): The message's seq in the room once delivered.
        status (BroadcastRoomStatus): The status of one target room of a broadcast job.
    """

    attempts: int
    last_error: None | str
    room: str
    seq: int | None
    status: BroadcastRoomStatus
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        attempts = self.attempts

        last_error: None | str
        last_error = self.last_error

        room = self.room

        seq: int | None
        seq = self.seq

        status = self.status.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "attempts": attempts,
                "last_error": last_error,
                "room": room,
                "seq": seq,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        attempts = d.pop("attempts")

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        room = d.pop("room")

        def _parse_seq(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        seq = _parse_seq(d.pop("seq"))

        status = BroadcastRoomStatus(d.pop("status"))

        room_progress_view = cls(
            attempts=attempts,
            last_error=last_error,
            room=room,
            seq=seq,
            status=status,
        )

        room_progress_view.additional_properties = d
        return room_progress_view

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
