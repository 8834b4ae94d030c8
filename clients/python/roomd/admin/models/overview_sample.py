from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OverviewSample")


@_attrs_define
class OverviewSample:
    """One second of `series`.

    Attributes:
        at (datetime.datetime): The end of the second.
        connections (int): Open WebSocket sessions at `at`.
        deliveries_per_s (float): Message frames handed to sessions per second.
        messages_per_s (float): Messages committed per second.
    """

    at: datetime.datetime
    connections: int
    deliveries_per_s: float
    messages_per_s: float
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        connections = self.connections

        deliveries_per_s = self.deliveries_per_s

        messages_per_s = self.messages_per_s

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "connections": connections,
                "deliveries_per_s": deliveries_per_s,
                "messages_per_s": messages_per_s,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        connections = d.pop("connections")

        deliveries_per_s = d.pop("deliveries_per_s")

        messages_per_s = d.pop("messages_per_s")

        overview_sample = cls(
            at=at,
            connections=connections,
            deliveries_per_s=deliveries_per_s,
            messages_per_s=messages_per_s,
        )

        overview_sample.additional_properties = d
        return overview_sample

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
