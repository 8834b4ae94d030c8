from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="DeliveryView")


@_attrs_define
class DeliveryView:
    """One delivery attempt.

    Attributes:
        at (datetime.datetime): When the attempt started.
        error (None | str): Why the attempt failed; null when it succeeded.
        events (int): Events in the batch.
        id (int):
        latency_ms (int):
        status (int | None): The receiver's HTTP status; null when no answer came.
        test (bool): A test delivery (`POST /api/v1/webhooks/{id}/test`).
    """

    at: datetime.datetime
    error: None | str
    events: int
    id: int
    latency_ms: int
    status: int | None
    test: bool
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        at = self.at.isoformat()

        error: None | str
        error = self.error

        events = self.events

        id = self.id

        latency_ms = self.latency_ms

        status: int | None
        status = self.status

        test = self.test

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "error": error,
                "events": events,
                "id": id,
                "latency_ms": latency_ms,
                "status": status,
                "test": test,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        def _parse_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        error = _parse_error(d.pop("error"))

        events = d.pop("events")

        id = d.pop("id")

        latency_ms = d.pop("latency_ms")

        def _parse_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        status = _parse_status(d.pop("status"))

        test = d.pop("test")

        delivery_view = cls(
            at=at,
            error=error,
            events=events,
            id=id,
            latency_ms=latency_ms,
            status=status,
            test=test,
        )

        delivery_view.additional_properties = d
        return delivery_view

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
