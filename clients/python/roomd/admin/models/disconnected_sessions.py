from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.session_info import SessionInfo


T = TypeVar("T", bound="DisconnectedSessions")


@_attrs_define
class DisconnectedSessions:
    """The sessions a disconnect closed, as they were just before.

    Attributes:
        items (list[SessionInfo]):
        unreachable_nodes (list[str]): Cluster mode: live nodes that did not answer in time; they were told to close
            the user's sessions too, but theirs are not listed.
    """

    items: list[SessionInfo]
    unreachable_nodes: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        unreachable_nodes = self.unreachable_nodes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "items": items,
                "unreachable_nodes": unreachable_nodes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.session_info import SessionInfo

        d = dict(src_dict)
        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = SessionInfo.from_dict(items_item_data)

            items.append(items_item)

        unreachable_nodes = cast(list[str], d.pop("unreachable_nodes"))

        disconnected_sessions = cls(
            items=items,
            unreachable_nodes=unreachable_nodes,
        )

        disconnected_sessions.additional_properties = d
        return disconnected_sessions

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
