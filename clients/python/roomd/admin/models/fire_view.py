from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.fire_outcome import FireOutcome

T = TypeVar("T", bound="FireView")


@_attrs_define
class FireView:
    """A handled due time.

    Attributes:
        broadcast_id (None | str):
        due_at (datetime.datetime):
        handled_at (datetime.datetime):
        outcome (FireOutcome): Whether a schedule's due time started a broadcast (`fired`) or was skipped (its
            `reason` says why).
        reason (None | str):
    """

    broadcast_id: None | str
    due_at: datetime.datetime
    handled_at: datetime.datetime
    outcome: FireOutcome
    reason: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        broadcast_id: None | str
        broadcast_id = self.broadcast_id

        due_at = self.due_at.isoformat()

        handled_at = self.handled_at.isoformat()

        outcome = self.outcome.value

        reason: None | str
        reason = self.reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "broadcast_id": broadcast_id,
                "due_at": due_at,
                "handled_at": handled_at,
                "outcome": outcome,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_broadcast_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        broadcast_id = _parse_broadcast_id(d.pop("broadcast_id"))

        due_at = datetime.datetime.fromisoformat(d.pop("due_at"))

        handled_at = datetime.datetime.fromisoformat(d.pop("handled_at"))

        outcome = FireOutcome(d.pop("outcome"))

        def _parse_reason(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        reason = _parse_reason(d.pop("reason"))

        fire_view = cls(
            broadcast_id=broadcast_id,
            due_at=due_at,
            handled_at=handled_at,
            outcome=outcome,
            reason=reason,
        )

        fire_view.additional_properties = d
        return fire_view

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
