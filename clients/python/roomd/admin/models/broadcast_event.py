from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.broadcast_event_name import BroadcastEventName

T = TypeVar("T", bound="BroadcastEvent")


@_attrs_define
class BroadcastEvent:
    """Schema only: one Server-Sent Event of `GET /api/v1/broadcasts/{id}/events` (an
    OpenAPI 3.1 `text/event-stream` schema describes each event of the stream).

        Attributes:
            data (str): JSON: for `progress` `{id,status,counts}`, for `room`
                `{room,status,attempts,seq,last_error}`, for `done` the job (`BroadcastView`
                without `rooms`). Example: {"id":"bc_19ab3c4d5e6f123456","status":"running","counts":{"total":2,"delivered":1,"f
                ailed":0,"pending":1,"cancelled":0}}.
            event (BroadcastEventName): The name of a broadcast progress event: `progress` (the counts), `room` (one room's
                attempt), `done` (the last one: the finished job).
    """

    data: str
    event: BroadcastEventName
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        event = self.event.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
                "event": event,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        data = d.pop("data")

        event = BroadcastEventName(d.pop("event"))

        broadcast_event = cls(
            data=data,
            event=event,
        )

        broadcast_event.additional_properties = d
        return broadcast_event

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
