from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.priority import Priority
from ..models.target_all import TargetAll
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.target_tag import TargetTag


T = TypeVar("T", bound="CreateBroadcast")


@_attrs_define
class CreateBroadcast:
    """`POST /broadcasts` body.

    Attributes:
        rooms (list[str] | TargetAll | TargetTag): Which rooms: a list of room ids, `"all"` (`TargetAll`), or `{"tag":
            T}` (`TargetTag`); anything else is 422 with a message naming these forms
        text (str): 1 to `limits.max_text` characters, no NUL. Example: maintenance at noon.
        priority (Priority | Unset): Delivery priority across running jobs.
    """

    rooms: list[str] | TargetAll | TargetTag
    text: str
    priority: Priority | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        rooms: dict[str, Any] | list[str] | str
        if isinstance(self.rooms, list):
            rooms = self.rooms

        elif isinstance(self.rooms, TargetAll):
            rooms = self.rooms.value
        else:
            rooms = self.rooms.to_dict()

        text = self.text

        priority: str | Unset = UNSET
        if not isinstance(self.priority, Unset):
            priority = self.priority.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "rooms": rooms,
                "text": text,
            }
        )
        if priority is not UNSET:
            field_dict["priority"] = priority

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.target_tag import TargetTag

        d = dict(src_dict)

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

        _priority = d.pop("priority", UNSET)
        priority: Priority | Unset
        if isinstance(_priority, Unset):
            priority = UNSET
        else:
            priority = Priority(_priority)

        create_broadcast = cls(
            rooms=rooms,
            text=text,
            priority=priority,
        )

        return create_broadcast
