from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="OverviewRooms")


@_attrs_define
class OverviewRooms:
    """Rooms: how many are stored, and how many of them this node runs, by status.

    Attributes:
        quarantined (int): …quarantined after too many crashes.
        restarting (int): …restarting after a crash.
        running (int): Room actors of this node running.
        stopped (int): `stored` minus the three above (never negative): rooms no actor of this node runs.
        stored (int): Rooms in the store.
    """

    quarantined: int
    restarting: int
    running: int
    stopped: int
    stored: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        quarantined = self.quarantined

        restarting = self.restarting

        running = self.running

        stopped = self.stopped

        stored = self.stored

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "quarantined": quarantined,
                "restarting": restarting,
                "running": running,
                "stopped": stopped,
                "stored": stored,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        quarantined = d.pop("quarantined")

        restarting = d.pop("restarting")

        running = d.pop("running")

        stopped = d.pop("stopped")

        stored = d.pop("stored")

        overview_rooms = cls(
            quarantined=quarantined,
            restarting=restarting,
            running=running,
            stopped=stopped,
            stored=stored,
        )

        overview_rooms.additional_properties = d
        return overview_rooms

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
