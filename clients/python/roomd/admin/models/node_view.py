from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="NodeView")


@_attrs_define
class NodeView:
    """A node of the cluster.

    Attributes:
        address (str): Its HTTP/WebSocket address (`cluster.advertise`, else the bound address).
        alive (bool): Its heartbeat is within `cluster.lease_ms`; a dead node's leases can be taken.
        connections (int): Open WebSocket connections at its last heartbeat.
        id (str):
        last_heartbeat (datetime.datetime):
        rooms_owned (int): Rooms whose lease it holds.
        started_at (datetime.datetime):
    """

    address: str
    alive: bool
    connections: int
    id: str
    last_heartbeat: datetime.datetime
    rooms_owned: int
    started_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        address = self.address

        alive = self.alive

        connections = self.connections

        id = self.id

        last_heartbeat = self.last_heartbeat.isoformat()

        rooms_owned = self.rooms_owned

        started_at = self.started_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "address": address,
                "alive": alive,
                "connections": connections,
                "id": id,
                "last_heartbeat": last_heartbeat,
                "rooms_owned": rooms_owned,
                "started_at": started_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        address = d.pop("address")

        alive = d.pop("alive")

        connections = d.pop("connections")

        id = d.pop("id")

        last_heartbeat = datetime.datetime.fromisoformat(d.pop("last_heartbeat"))

        rooms_owned = d.pop("rooms_owned")

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        node_view = cls(
            address=address,
            alive=alive,
            connections=connections,
            id=id,
            last_heartbeat=last_heartbeat,
            rooms_owned=rooms_owned,
            started_at=started_at,
        )

        node_view.additional_properties = d
        return node_view

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
