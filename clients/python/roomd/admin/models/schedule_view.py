from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.priority import Priority
from ..models.target_all import TargetAll
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.fire_view import FireView
    from ..models.target_tag import TargetTag


T = TypeVar("T", bound="ScheduleView")


@_attrs_define
class ScheduleView:
    """A schedule.

    Attributes:
        created_at (datetime.datetime):
        cron (str):
        enabled (bool):
        id (str):
        last_broadcast_id (None | str):
        last_run_at (datetime.datetime | None): When it last fired (by the scheduler's clock).
        next_run_at (datetime.datetime | None): The next due time; null while disabled (or if the cron never fires
            again).
        priority (Priority): Delivery priority across running jobs.
        rooms (list[str] | TargetAll | TargetTag): Which rooms: a list of room ids, `"all"` (`TargetAll`), or `{"tag":
            T}` (`TargetTag`); anything else is 422 with a message naming these forms
        text (str):
        timezone (str):
        updated_at (datetime.datetime):
        recent (list[FireView] | Unset): The latest handled due times, newest first (only when one schedule is shown).
    """

    created_at: datetime.datetime
    cron: str
    enabled: bool
    id: str
    last_broadcast_id: None | str
    last_run_at: datetime.datetime | None
    next_run_at: datetime.datetime | None
    priority: Priority
    rooms: list[str] | TargetAll | TargetTag
    text: str
    timezone: str
    updated_at: datetime.datetime
    recent: list[FireView] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        cron = self.cron

        enabled = self.enabled

        id = self.id

        last_broadcast_id: None | str
        last_broadcast_id = self.last_broadcast_id

        last_run_at: None | str
        if isinstance(self.last_run_at, datetime.datetime):
            last_run_at = self.last_run_at.isoformat()
        else:
            last_run_at = self.last_run_at

        next_run_at: None | str
        if isinstance(self.next_run_at, datetime.datetime):
            next_run_at = self.next_run_at.isoformat()
        else:
            next_run_at = self.next_run_at

        priority = self.priority.value

        rooms: dict[str, Any] | list[str] | str
        if isinstance(self.rooms, list):
            rooms = self.rooms

        elif isinstance(self.rooms, TargetAll):
            rooms = self.rooms.value
        else:
            rooms = self.rooms.to_dict()

        text = self.text

        timezone = self.timezone

        updated_at = self.updated_at.isoformat()

        recent: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.recent, Unset):
            recent = []
            for recent_item_data in self.recent:
                recent_item = recent_item_data.to_dict()
                recent.append(recent_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "cron": cron,
                "enabled": enabled,
                "id": id,
                "last_broadcast_id": last_broadcast_id,
                "last_run_at": last_run_at,
                "next_run_at": next_run_at,
                "priority": priority,
                "rooms": rooms,
                "text": text,
                "timezone": timezone,
                "updated_at": updated_at,
            }
        )
        if recent is not UNSET:
            field_dict["recent"] = recent

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.fire_view import FireView
        from ..models.target_tag import TargetTag

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        cron = d.pop("cron")

        enabled = d.pop("enabled")

        id = d.pop("id")

        def _parse_last_broadcast_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_broadcast_id = _parse_last_broadcast_id(d.pop("last_broadcast_id"))

        def _parse_last_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_run_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_run_at = _parse_last_run_at(d.pop("last_run_at"))

        def _parse_next_run_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                next_run_at_type_0 = datetime.datetime.fromisoformat(data)

                return next_run_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        next_run_at = _parse_next_run_at(d.pop("next_run_at"))

        priority = Priority(d.pop("priority"))

        def _parse_rooms(data: object) -> list[str] | TargetAll | TargetTag:
            try:
                if not isinstance(data, list):
                    raise TypeError()
                componentsschemas_target_room_ids = cast(list[str], data)

                return componentsschemas_target_room_ids
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_target_type_1 = TargetAll(data)

                return componentsschemas_target_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_target_type_2 = TargetTag.from_dict(data)

            return componentsschemas_target_type_2

        rooms = _parse_rooms(d.pop("rooms"))

        text = d.pop("text")

        timezone = d.pop("timezone")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        _recent = d.pop("recent", UNSET)
        recent: list[FireView] | Unset = UNSET
        if _recent is not UNSET:
            recent = []
            for recent_item_data in _recent:
                recent_item = FireView.from_dict(recent_item_data)

                recent.append(recent_item)

        schedule_view = cls(
            created_at=created_at,
            cron=cron,
            enabled=enabled,
            id=id,
            last_broadcast_id=last_broadcast_id,
            last_run_at=last_run_at,
            next_run_at=next_run_at,
            priority=priority,
            rooms=rooms,
            text=text,
            timezone=timezone,
            updated_at=updated_at,
            recent=recent,
        )

        schedule_view.additional_properties = d
        return schedule_view

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
