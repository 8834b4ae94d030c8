from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.room_status import RoomStatus

if TYPE_CHECKING:
    from ..models.mailbox_view import MailboxView
    from ..models.room_settings import RoomSettings


T = TypeVar("T", bound="RoomView")


@_attrs_define
class RoomView:
    """A room as the API shows it.

    Attributes:
        created_at (datetime.datetime):
        id (str):
        last_restart_at (datetime.datetime | None): RFC 3339; null when the actor has not restarted since it started.
        last_seq (int):
        mailbox (MailboxView): Mailbox figures of the room's actor.
        members_online (int):
        messages_per_min (int):
        name (str):
        owner_node (None | str): Cluster mode: the node whose lease runs the room now; null when no node has
            claimed it yet (or cluster mode is off).
        restarts (int):
        settings (RoomSettings): Per-room settings, stored as JSON in `rooms.settings`.
        status (RoomStatus): Schema only: the life of a room's actor (`stopped` when none is running).
        tags (list[str]):
    """

    created_at: datetime.datetime
    id: str
    last_restart_at: datetime.datetime | None
    last_seq: int
    mailbox: MailboxView
    members_online: int
    messages_per_min: int
    name: str
    owner_node: None | str
    restarts: int
    settings: RoomSettings
    status: RoomStatus
    tags: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        id = self.id

        last_restart_at: None | str
        if isinstance(self.last_restart_at, datetime.datetime):
            last_restart_at = self.last_restart_at.isoformat()
        else:
            last_restart_at = self.last_restart_at

        last_seq = self.last_seq

        mailbox = self.mailbox.to_dict()

        members_online = self.members_online

        messages_per_min = self.messages_per_min

        name = self.name

        owner_node: None | str
        owner_node = self.owner_node

        restarts = self.restarts

        settings = self.settings.to_dict()

        status = self.status.value

        tags = self.tags

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "last_restart_at": last_restart_at,
                "last_seq": last_seq,
                "mailbox": mailbox,
                "members_online": members_online,
                "messages_per_min": messages_per_min,
                "name": name,
                "owner_node": owner_node,
                "restarts": restarts,
                "settings": settings,
                "status": status,
                "tags": tags,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.mailbox_view import MailboxView
        from ..models.room_settings import RoomSettings

        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        id = d.pop("id")

        def _parse_last_restart_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_restart_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_restart_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_restart_at = _parse_last_restart_at(d.pop("last_restart_at"))

        last_seq = d.pop("last_seq")

        mailbox = MailboxView.from_dict(d.pop("mailbox"))

        members_online = d.pop("members_online")

        messages_per_min = d.pop("messages_per_min")

        name = d.pop("name")

        def _parse_owner_node(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        owner_node = _parse_owner_node(d.pop("owner_node"))

        restarts = d.pop("restarts")

        settings = RoomSettings.from_dict(d.pop("settings"))

        status = RoomStatus(d.pop("status"))

        tags = cast(list[str], d.pop("tags"))

        room_view = cls(
            created_at=created_at,
            id=id,
            last_restart_at=last_restart_at,
            last_seq=last_seq,
            mailbox=mailbox,
            members_online=members_online,
            messages_per_min=messages_per_min,
            name=name,
            owner_node=owner_node,
            restarts=restarts,
            settings=settings,
            status=status,
            tags=tags,
        )

        room_view.additional_properties = d
        return room_view

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
