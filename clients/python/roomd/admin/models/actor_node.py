from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.actor_kind import ActorKind
from ..models.room_status import RoomStatus

if TYPE_CHECKING:
    from ..models.actor_mailbox import ActorMailbox
    from ..models.actor_quantiles import ActorQuantiles


T = TypeVar("T", bound="ActorNode")


@_attrs_define
class ActorNode:
    """One node of the tree.

    Attributes:
        children (list[ActorNode]):
        handle_us (ActorQuantiles): Median and 99th percentile in µs; null before the first sample.
        handled (int):
        id (str):
        kind (ActorKind): What an actor is.
        last_restart_at (datetime.datetime | None):
        mailbox (ActorMailbox): Queue figures of one actor's mailbox.
        restarts (int):
        status (RoomStatus): Schema only: the life of a room's actor (`stopped` when none is running).
        wait_us (ActorQuantiles): Median and 99th percentile in µs; null before the first sample.
    """

    children: list[ActorNode]
    handle_us: ActorQuantiles
    handled: int
    id: str
    kind: ActorKind
    last_restart_at: datetime.datetime | None
    mailbox: ActorMailbox
    restarts: int
    status: RoomStatus
    wait_us: ActorQuantiles
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        children = []
        for children_item_data in self.children:
            children_item = children_item_data.to_dict()
            children.append(children_item)

        handle_us = self.handle_us.to_dict()

        handled = self.handled

        id = self.id

        kind = self.kind.value

        last_restart_at: None | str
        if isinstance(self.last_restart_at, datetime.datetime):
            last_restart_at = self.last_restart_at.isoformat()
        else:
            last_restart_at = self.last_restart_at

        mailbox = self.mailbox.to_dict()

        restarts = self.restarts

        status = self.status.value

        wait_us = self.wait_us.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "children": children,
                "handle_us": handle_us,
                "handled": handled,
                "id": id,
                "kind": kind,
                "last_restart_at": last_restart_at,
                "mailbox": mailbox,
                "restarts": restarts,
                "status": status,
                "wait_us": wait_us,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.actor_mailbox import ActorMailbox
        from ..models.actor_quantiles import ActorQuantiles

        d = dict(src_dict)
        children = []
        _children = d.pop("children")
        for children_item_data in _children:
            children_item = ActorNode.from_dict(children_item_data)

            children.append(children_item)

        handle_us = ActorQuantiles.from_dict(d.pop("handle_us"))

        handled = d.pop("handled")

        id = d.pop("id")

        kind = ActorKind(d.pop("kind"))

        def _parse_last_restart_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_restart_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_restart_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_restart_at = _parse_last_restart_at(d.pop("last_restart_at"))

        mailbox = ActorMailbox.from_dict(d.pop("mailbox"))

        restarts = d.pop("restarts")

        status = RoomStatus(d.pop("status"))

        wait_us = ActorQuantiles.from_dict(d.pop("wait_us"))

        actor_node = cls(
            children=children,
            handle_us=handle_us,
            handled=handled,
            id=id,
            kind=kind,
            last_restart_at=last_restart_at,
            mailbox=mailbox,
            restarts=restarts,
            status=status,
            wait_us=wait_us,
        )

        actor_node.additional_properties = d
        return actor_node

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
