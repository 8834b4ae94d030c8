from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.webhook_state import WebhookState

T = TypeVar("T", bound="WebhookView")


@_attrs_define
class WebhookView:
    """An endpoint. The secret is never shown.

    Attributes:
        created_at (datetime.datetime):
        events (list[str]):
        failures (int): Failed deliveries in a row (`webhooks.max_failures` pauses the endpoint).
        id (str):
        lag (int): Events committed after `position`, not all of them for this endpoint (its
            filter is applied at delivery).
        last_attempt_at (datetime.datetime | None):
        last_error (None | str): Why the last attempt failed; null after a success.
        last_status (int | None): The receiver's status at the last attempt; null if it did not answer.
        position (int): The outbox position delivered up to.
        rooms (list[str]):
        state (WebhookState): An endpoint's state.
        tags (list[str]):
        updated_at (datetime.datetime):
        url (str):
    """

    created_at: datetime.datetime
    events: list[str]
    failures: int
    id: str
    lag: int
    last_attempt_at: datetime.datetime | None
    last_error: None | str
    last_status: int | None
    position: int
    rooms: list[str]
    state: WebhookState
    tags: list[str]
    updated_at: datetime.datetime
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at.isoformat()

        events = self.events

        failures = self.failures

        id = self.id

        lag = self.lag

        last_attempt_at: None | str
        if isinstance(self.last_attempt_at, datetime.datetime):
            last_attempt_at = self.last_attempt_at.isoformat()
        else:
            last_attempt_at = self.last_attempt_at

        last_error: None | str
        last_error = self.last_error

        last_status: int | None
        last_status = self.last_status

        position = self.position

        rooms = self.rooms

        state = self.state.value

        tags = self.tags

        updated_at = self.updated_at.isoformat()

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "events": events,
                "failures": failures,
                "id": id,
                "lag": lag,
                "last_attempt_at": last_attempt_at,
                "last_error": last_error,
                "last_status": last_status,
                "position": position,
                "rooms": rooms,
                "state": state,
                "tags": tags,
                "updated_at": updated_at,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        events = cast(list[str], d.pop("events"))

        failures = d.pop("failures")

        id = d.pop("id")

        lag = d.pop("lag")

        def _parse_last_attempt_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_attempt_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_attempt_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_attempt_at = _parse_last_attempt_at(d.pop("last_attempt_at"))

        def _parse_last_error(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        last_error = _parse_last_error(d.pop("last_error"))

        def _parse_last_status(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        last_status = _parse_last_status(d.pop("last_status"))

        position = d.pop("position")

        rooms = cast(list[str], d.pop("rooms"))

        state = WebhookState(d.pop("state"))

        tags = cast(list[str], d.pop("tags"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        url = d.pop("url")

        webhook_view = cls(
            created_at=created_at,
            events=events,
            failures=failures,
            id=id,
            lag=lag,
            last_attempt_at=last_attempt_at,
            last_error=last_error,
            last_status=last_status,
            position=position,
            rooms=rooms,
            state=state,
            tags=tags,
            updated_at=updated_at,
            url=url,
        )

        webhook_view.additional_properties = d
        return webhook_view

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
