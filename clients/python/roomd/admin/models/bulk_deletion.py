from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="BulkDeletion")


@_attrs_define
class BulkDeletion:
    """What a bulk deletion deleted.

    Attributes:
        deleted (list[int]): The seqs this request made tombstones, oldest first (messages deleted before
            are not listed). Example: [41, 42, 45].
        room (str):  Example: lobby.
        user_id (str):  Example: spammer.
    """

    deleted: list[int]
    room: str
    user_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        deleted = self.deleted

        room = self.room

        user_id = self.user_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deleted": deleted,
                "room": room,
                "user_id": user_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        deleted = cast(list[int], d.pop("deleted"))

        room = d.pop("room")

        user_id = d.pop("user_id")

        bulk_deletion = cls(
            deleted=deleted,
            room=room,
            user_id=user_id,
        )

        bulk_deletion.additional_properties = d
        return bulk_deletion

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
