from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateWebhook")


@_attrs_define
class CreateWebhook:
    """`POST /webhooks` body.

    Attributes:
        events (list[str]): The event types wanted: `message`, `message_deleted`, `member_joined`,
            `member_left`, `room_created`, `room_deleted`, `broadcast_finished`.
        secret (str): The HMAC-SHA256 key of the signature, at least 16 characters.
        url (str): Where deliveries are POSTed: an `http://` or `https://` URL. Example: https://backend.example/roomd-
            events.
        rooms (list[str] | Unset): Only events of these rooms; empty or absent: every room.
        tags (list[str] | Unset): Only events of rooms with one of these tags; empty or absent: any.
    """

    events: list[str]
    secret: str
    url: str
    rooms: list[str] | Unset = UNSET
    tags: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        events = self.events

        secret = self.secret

        url = self.url

        rooms: list[str] | Unset = UNSET
        if not isinstance(self.rooms, Unset):
            rooms = self.rooms

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "events": events,
                "secret": secret,
                "url": url,
            }
        )
        if rooms is not UNSET:
            field_dict["rooms"] = rooms
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        events = cast(list[str], d.pop("events"))

        secret = d.pop("secret")

        url = d.pop("url")

        rooms = cast(list[str], d.pop("rooms", UNSET))

        tags = cast(list[str], d.pop("tags", UNSET))

        create_webhook = cls(
            events=events,
            secret=secret,
            url=url,
            rooms=rooms,
            tags=tags,
        )

        return create_webhook
