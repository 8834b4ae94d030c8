from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.actor_node import ActorNode


T = TypeVar("T", bound="BusiestActors")


@_attrs_define
class BusiestActors:
    """The busiest actors of this node, as `GET /api/v1/actors?top=10&sort=depth|wait`.

    Attributes:
        by_depth (list[ActorNode]):
        by_wait (list[ActorNode]):
    """

    by_depth: list[ActorNode]
    by_wait: list[ActorNode]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        by_depth = []
        for by_depth_item_data in self.by_depth:
            by_depth_item = by_depth_item_data.to_dict()
            by_depth.append(by_depth_item)

        by_wait = []
        for by_wait_item_data in self.by_wait:
            by_wait_item = by_wait_item_data.to_dict()
            by_wait.append(by_wait_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "by_depth": by_depth,
                "by_wait": by_wait,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.actor_node import ActorNode

        d = dict(src_dict)
        by_depth = []
        _by_depth = d.pop("by_depth")
        for by_depth_item_data in _by_depth:
            by_depth_item = ActorNode.from_dict(by_depth_item_data)

            by_depth.append(by_depth_item)

        by_wait = []
        _by_wait = d.pop("by_wait")
        for by_wait_item_data in _by_wait:
            by_wait_item = ActorNode.from_dict(by_wait_item_data)

            by_wait.append(by_wait_item)

        busiest_actors = cls(
            by_depth=by_depth,
            by_wait=by_wait,
        )

        busiest_actors.additional_properties = d
        return busiest_actors

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
