from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.priority import Priority
from ..models.target_all import TargetAll
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.target_tag import TargetTag


T = TypeVar("T", bound="PatchSchedule")


@_attrs_define
class PatchSchedule:
    """`PATCH /schedules/{id}` body: any subset of the fields.

    Attributes:
        cron (None | str | Unset):
        enabled (bool | None | Unset):
        priority (None | Priority | Unset):
        rooms (list[str] | None | TargetAll | TargetTag | Unset):
        text (None | str | Unset):
        timezone (None | str | Unset):
    """

    cron: None | str | Unset = UNSET
    enabled: bool | None | Unset = UNSET
    priority: None | Priority | Unset = UNSET
    rooms: list[str] | None | TargetAll | TargetTag | Unset = UNSET
    text: None | str | Unset = UNSET
    timezone: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.target_tag import TargetTag

        cron: None | str | Unset
        if isinstance(self.cron, Unset):
            cron = UNSET
        else:
            cron = self.cron

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        priority: None | str | Unset
        if isinstance(self.priority, Unset):
            priority = UNSET
        elif isinstance(self.priority, Priority):
            priority = self.priority.value
        else:
            priority = self.priority

        rooms: dict[str, Any] | list[str] | None | str | Unset
        if isinstance(self.rooms, Unset):
            rooms = UNSET
        elif isinstance(self.rooms, list):
            rooms = self.rooms

        elif isinstance(self.rooms, TargetAll):
            rooms = self.rooms.value
        elif isinstance(self.rooms, TargetTag):
            rooms = self.rooms.to_dict()
        else:
            rooms = self.rooms

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        timezone: None | str | Unset
        if isinstance(self.timezone, Unset):
            timezone = UNSET
        else:
            timezone = self.timezone

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if cron is not UNSET:
            field_dict["cron"] = cron
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if priority is not UNSET:
            field_dict["priority"] = priority
        if rooms is not UNSET:
            field_dict["rooms"] = rooms
        if text is not UNSET:
            field_dict["text"] = text
        if timezone is not UNSET:
            field_dict["timezone"] = timezone

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.target_tag import TargetTag

        d = dict(src_dict)

        def _parse_cron(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        cron = _parse_cron(d.pop("cron", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_priority(data: object) -> None | Priority | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                priority_type_1 = Priority(data)

                return priority_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Priority | Unset, data)

        priority = _parse_priority(d.pop("priority", UNSET))

        def _parse_rooms(
            data: object,
        ) -> list[str] | None | TargetAll | TargetTag | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
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
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_target_type_2 = TargetTag.from_dict(data)

                return componentsschemas_target_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | TargetAll | TargetTag | Unset, data)

        rooms = _parse_rooms(d.pop("rooms", UNSET))

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        def _parse_timezone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        timezone = _parse_timezone(d.pop("timezone", UNSET))

        patch_schedule = cls(
            cron=cron,
            enabled=enabled,
            priority=priority,
            rooms=rooms,
            text=text,
            timezone=timezone,
        )

        return patch_schedule
