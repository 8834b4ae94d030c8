from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.message_item import MessageItem


T = TypeVar("T", bound="HistoryPage")


@_attrs_define
class HistoryPage:
    """Schema only: `GET /api/v1/rooms/{id}/messages` answer.

    Attributes:
        has_more (bool):
        items (list[MessageItem]):
        retained_from_seq (int | None): Where the room's stored history begins: the oldest seq still stored (older
            ones were deleted by retention, or the room was purged); null when the room
            has no stored message.
    """

    has_more: bool
    items: list[MessageItem]
    retained_from_seq: int | None
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        has_more = self.has_more

        items = []
        for items_item_data in self.items:
            items_item = items_item_data.to_dict()
            items.append(items_item)

        retained_from_seq: int | None
        retained_from_seq = self.retained_from_seq

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "has_more": has_more,
                "items": items,
                "retained_from_seq": retained_from_seq,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.message_item import MessageItem

        d = dict(src_dict)
        has_more = d.pop("has_more")

        items = []
        _items = d.pop("items")
        for items_item_data in _items:
            items_item = MessageItem.from_dict(items_item_data)

            items.append(items_item)

        def _parse_retained_from_seq(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        retained_from_seq = _parse_retained_from_seq(d.pop("retained_from_seq"))

        history_page = cls(
            has_more=has_more,
            items=items,
            retained_from_seq=retained_from_seq,
        )

        history_page.additional_properties = d
        return history_page

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
