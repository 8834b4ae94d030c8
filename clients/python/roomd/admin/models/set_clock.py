from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="SetClock")


@_attrs_define
class SetClock:
    """`debug/clock` body.

    Attributes:
        now (datetime.datetime): RFC 3339. Example: 2026-03-29T00:00:00Z.
    """

    now: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        now = self.now.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "now": now,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        now = datetime.datetime.fromisoformat(d.pop("now"))

        set_clock = cls(
            now=now,
        )

        return set_clock
