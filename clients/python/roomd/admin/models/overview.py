from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.busiest_actors import BusiestActors
    from ..models.node_view import NodeView
    from ..models.overview_rooms import OverviewRooms
    from ..models.overview_sample import OverviewSample
    from ..models.store_commit_latency import StoreCommitLatency


T = TypeVar("T", bound="Overview")


@_attrs_define
class Overview:
    """This node at a glance.

    Attributes:
        busiest (BusiestActors): The busiest actors of this node, as `GET /api/v1/actors?top=10&sort=depth|wait`.
        connections (int): Open WebSocket sessions on this node.
        deliveries_total (int): Message frames handed to sessions since start-up (`roomd_deliveries_total`).
        messages_total (int): Messages committed to the store since start-up (`roomd_messages_total`).
        node (None | str): This node's id in cluster mode; null otherwise. Example: n1.
        nodes (list[NodeView] | None): Cluster mode: every node that has joined (as `GET /api/v1/nodes`); null
            otherwise.
        restarts_last_hour (int): Actor restarts of every kind (crash or operator) on this node in the last hour.
        rooms (OverviewRooms): Rooms: how many are stored, and how many of them this node runs, by status.
        series (list[OverviewSample]): One sample per second, oldest first: the last 300 s (fewer after start-up).
        started_at (datetime.datetime): When the process started.
        store_commit_ms (None | StoreCommitLatency):
        version (str): The server's version. Example: 0.1.0.
    """

    busiest: BusiestActors
    connections: int
    deliveries_total: int
    messages_total: int
    node: None | str
    nodes: list[NodeView] | None
    restarts_last_hour: int
    rooms: OverviewRooms
    series: list[OverviewSample]
    started_at: datetime.datetime
    store_commit_ms: None | StoreCommitLatency
    version: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.store_commit_latency import StoreCommitLatency

        busiest = self.busiest.to_dict()

        connections = self.connections

        deliveries_total = self.deliveries_total

        messages_total = self.messages_total

        node: None | str
        node = self.node

        nodes: list[dict[str, Any]] | None
        if isinstance(self.nodes, list):
            nodes = []
            for nodes_type_0_item_data in self.nodes:
                nodes_type_0_item = nodes_type_0_item_data.to_dict()
                nodes.append(nodes_type_0_item)

        else:
            nodes = self.nodes

        restarts_last_hour = self.restarts_last_hour

        rooms = self.rooms.to_dict()

        series = []
        for series_item_data in self.series:
            series_item = series_item_data.to_dict()
            series.append(series_item)

        started_at = self.started_at.isoformat()

        store_commit_ms: dict[str, Any] | None
        if isinstance(self.store_commit_ms, StoreCommitLatency):
            store_commit_ms = self.store_commit_ms.to_dict()
        else:
            store_commit_ms = self.store_commit_ms

        version = self.version

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "busiest": busiest,
                "connections": connections,
                "deliveries_total": deliveries_total,
                "messages_total": messages_total,
                "node": node,
                "nodes": nodes,
                "restarts_last_hour": restarts_last_hour,
                "rooms": rooms,
                "series": series,
                "started_at": started_at,
                "store_commit_ms": store_commit_ms,
                "version": version,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.busiest_actors import BusiestActors
        from ..models.node_view import NodeView
        from ..models.overview_rooms import OverviewRooms
        from ..models.overview_sample import OverviewSample
        from ..models.store_commit_latency import StoreCommitLatency

        d = dict(src_dict)
        busiest = BusiestActors.from_dict(d.pop("busiest"))

        connections = d.pop("connections")

        deliveries_total = d.pop("deliveries_total")

        messages_total = d.pop("messages_total")

        def _parse_node(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        node = _parse_node(d.pop("node"))

        def _parse_nodes(data: object) -> list[NodeView] | None:
            if data is None:
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                nodes_type_0 = []
                _nodes_type_0 = data
                for nodes_type_0_item_data in _nodes_type_0:
                    nodes_type_0_item = NodeView.from_dict(nodes_type_0_item_data)

                    nodes_type_0.append(nodes_type_0_item)

                return nodes_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[NodeView] | None, data)

        nodes = _parse_nodes(d.pop("nodes"))

        restarts_last_hour = d.pop("restarts_last_hour")

        rooms = OverviewRooms.from_dict(d.pop("rooms"))

        series = []
        _series = d.pop("series")
        for series_item_data in _series:
            series_item = OverviewSample.from_dict(series_item_data)

            series.append(series_item)

        started_at = datetime.datetime.fromisoformat(d.pop("started_at"))

        def _parse_store_commit_ms(data: object) -> None | StoreCommitLatency:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                store_commit_ms_type_1 = StoreCommitLatency.from_dict(data)

                return store_commit_ms_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StoreCommitLatency, data)

        store_commit_ms = _parse_store_commit_ms(d.pop("store_commit_ms"))

        version = d.pop("version")

        overview = cls(
            busiest=busiest,
            connections=connections,
            deliveries_total=deliveries_total,
            messages_total=messages_total,
            node=node,
            nodes=nodes,
            restarts_last_hour=restarts_last_hour,
            rooms=rooms,
            series=series,
            started_at=started_at,
            store_commit_ms=store_commit_ms,
            version=version,
        )

        overview.additional_properties = d
        return overview

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
