from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SchedulePreview")


@_attrs_define
class SchedulePreview:
    """The next due times of a cron.

    Attributes:
        cron (str):  Example: 30 9 * * MON-FRI.
        next_ (list[datetime.datetime]): Due times strictly after now (by the scheduler's clock), earliest first, in
            RFC 3339 with the time zone's offset at each; fewer than `count` only when the
            cron stops firing. Example: ['2026-12-07T09:30:00+01:00'].
        timezone (str):  Example: Europe/Berlin.
    """

    cron: str
    next_: list[datetime.datetime]
    timezone: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cron = self.cron

        next_ = []
        for next_item_data in self.next_:
            next_item = next_item_data.isoformat()
            next_.append(next_item)

        timezone = self.timezone

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cron": cron,
                "next": next_,
                "timezone": timezone,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        cron = d.pop("cron")

        next_ = []
        _next_ = d.pop("next")
        for next_item_data in _next_:
            next_item = datetime.datetime.fromisoformat(next_item_data)

            next_.append(next_item)

        timezone = d.pop("timezone")

        schedule_preview = cls(
            cron=cron,
            next_=next_,
            timezone=timezone,
        )

        schedule_preview.additional_properties = d
        return schedule_preview

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
