from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Counts")


@_attrs_define
class Counts:
    """Rooms of a job by status.

    Attributes:
        cancelled (int):
        delivered (int):
        failed (int):
        pending (int):
        total (int):
    """

    cancelled: int
    delivered: int
    failed: int
    pending: int
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cancelled = self.cancelled

        delivered = self.delivered

        failed = self.failed

        pending = self.pending

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cancelled": cancelled,
                "delivered": delivered,
                "failed": failed,
                "pending": pending,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cancelled = d.pop("cancelled")

        delivered = d.pop("delivered")

        failed = d.pop("failed")

        pending = d.pop("pending")

        total = d.pop("total")

        counts = cls(
            cancelled=cancelled,
            delivered=delivered,
            failed=failed,
            pending=pending,
            total=total,
        )

        counts.additional_properties = d
        return counts

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
