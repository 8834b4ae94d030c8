from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.broadcast_status import BroadcastStatus
from ..models.priority import Priority
from ..models.target_all import TargetAll
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.counts import Counts
    from ..models.report_view import ReportView
    from ..models.room_progress_view import RoomProgressView
    from ..models.target_tag import TargetTag


T = TypeVar("T", bound="BroadcastView")


@_attrs_define
class BroadcastView:
    """A broadcast job.

    Attributes:
        counts (Counts): Rooms of a job by status.
        created_at (datetime.datetime):
        created_by (str): The admin token's name, or `schedule:<id>`.
        finished_at (datetime.datetime | None):
        id (str):
        priority (Priority): Delivery priority across running jobs.
        report (None | ReportView):
        schedule_id (None | str):
        started_at (datetime.datetime | None):
        status (BroadcastStatus): The status of a broadcast job: `failed` when every room failed.
        target (list[str] | TargetAll | TargetTag): Which rooms: a list of room ids, `"all"` (`TargetAll`), or `{"tag":
            T}` (`TargetTag`); anything else is 422 with a message naming these forms
        text (str):
        rooms (list[RoomProgressView] | Unset): Every target room (only when one job is shown).
    """

    counts: Counts
    created_at: datetime.datetime
    created_by: str
    finished_at: datetime.datetime | None
    id: str
    priority: Priority
    report: None | ReportView
    schedule_id: None | str
    started_at: datetime.datetime | None
    status: BroadcastStatus
    target: list[str] | TargetAll | TargetTag
    text: str
    rooms: list[RoomProgressView] | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.report_view import ReportView

        counts = self.counts.to_dict()

        created_at = self.created_at.isoformat()

        created_by = self.created_by

        finished_at: None | str
        if isinstance(self.finished_at, datetime.datetime):
            finished_at = self.finished_at.isoformat()
        else:
            finished_at = self.finished_at

        id = self.id

        priority = self.priority.value

        report: dict[str, Any] | None
        if isinstance(self.report, ReportView):
            report = self.report.to_dict()
        else:
            report = self.report

        schedule_id: None | str
        schedule_id = self.schedule_id

        started_at: None | str
        if isinstance(self.started_at, datetime.datetime):
            started_at = self.started_at.isoformat()
        else:
            started_at = self.started_at

        status = self.status.value

        target: dict[str, Any] | list[str] | str
        if isinstance(self.target, list):
            target = self.target

        elif isinstance(self.target, TargetAll):
            target = self.target.value
        else:
            target = self.target.to_dict()

        text = self.text

        rooms: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.rooms, Unset):
            rooms = []
            for rooms_item_data in self.rooms:
                rooms_item = rooms_item_data.to_dict()
                rooms.append(rooms_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "counts": counts,
                "created_at": created_at,
                "created_by": created_by,
                "finished_at": finished_at,
                "id": id,
                "priority": priority,
                "report": report,
                "schedule_id": schedule_id,
                "started_at": started_at,
                "status": status,
                "target": target,
                "text": text,
            }
        )
        if rooms is not UNSET:
            field_dict["rooms"] = rooms

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.counts import Counts
        from ..models.report_view import ReportView
        from ..models.room_progress_view import RoomProgressView
        from ..models.target_tag import TargetTag

        d = dict(src_dict)
        counts = Counts.from_dict(d.pop("counts"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        created_by = d.pop("created_by")

        def _parse_finished_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                finished_at_type_0 = datetime.datetime.fromisoformat(data)

                return finished_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        finished_at = _parse_finished_at(d.pop("finished_at"))

        id = d.pop("id")

        priority = Priority(d.pop("priority"))

        def _parse_report(data: object) -> None | ReportView:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                report_type_1 = ReportView.from_dict(data)

                return report_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReportView, data)

        report = _parse_report(d.pop("report"))

        def _parse_schedule_id(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        schedule_id = _parse_schedule_id(d.pop("schedule_id"))

        def _parse_started_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                started_at_type_0 = datetime.datetime.fromisoformat(data)

                return started_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        started_at = _parse_started_at(d.pop("started_at"))

        status = BroadcastStatus(d.pop("status"))

        def _parse_target(data: object) -> list[str] | TargetAll | TargetTag:
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

        target = _parse_target(d.pop("target"))

        text = d.pop("text")

        _rooms = d.pop("rooms", UNSET)
        rooms: list[RoomProgressView] | Unset = UNSET
        if _rooms is not UNSET:
            rooms = []
            for rooms_item_data in _rooms:
                rooms_item = RoomProgressView.from_dict(rooms_item_data)

                rooms.append(rooms_item)

        broadcast_view = cls(
            counts=counts,
            created_at=created_at,
            created_by=created_by,
            finished_at=finished_at,
            id=id,
            priority=priority,
            report=report,
            schedule_id=schedule_id,
            started_at=started_at,
            status=status,
            target=target,
            text=text,
            rooms=rooms,
        )

        broadcast_view.additional_properties = d
        return broadcast_view

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
