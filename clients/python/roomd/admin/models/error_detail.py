from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.error_code import ErrorCode

T = TypeVar("T", bound="ErrorDetail")


@_attrs_define
class ErrorDetail:
    """The code says what went wrong (and fixes the status); the message is for people.

    Attributes:
        code (ErrorCode): What went wrong; the code fixes the HTTP status.

            - `bad_request` (400): Malformed input: bad JSON or a bad frame, a query parameter that is unknown or out of
            range, a NUL (`%00`) in the path or query, an empty text or a text with NUL
            - `too_large` (413): A body over `server.max_body_bytes`, or a text over `limits.max_text` characters
            - `unauthorized` (401): A missing, unknown, revoked or expired token
            - `forbidden` (403): The token may not do this: not an admin token on the admin API; over WebSocket a join of a
            full room, a bot-only frame from a user, or a reply to another bot's invocation
            - `not_found` (404): No such room, member, token, job, schedule or route, or a feature that is switched off
            - `method_not_allowed` (405): The route exists, but not with this method
            - `not_joined` (WebSocket only): A frame for a room this session has not joined
            - `conflict` (409): A room with this id exists
            - `unprocessable` (422): Well-formed JSON with a missing, unknown or invalid field
            - `rate_limited` (429): Over a rate or session limit; retry after `Retry-After` seconds (WebSocket:
            `retry_after_ms`) when given
            - `room_unavailable` (503): The room's actor, or the store it writes through, cannot take the request now; retry
            (a message with the same `client_id`)
            - `unavailable` (503): The store or another dependency cannot serve the request now; retry, after `Retry-After`
            seconds when given
            - `internal` (503): The store refused a write for good (the server logs why); nothing was stored
            - `banned` (WebSocket only): A `join` of a room the user is banned from; the frame's `expires_at` says until
            when (null: until lifted)
            - `muted` (WebSocket only): A `send` in a room the user is muted in; the frame's `expires_at` says until when
            (null: until lifted)
            - `rejected_by_hook` (WebSocket only): The publish hook refused the message (the `message` is the hook's reason
            code, or `hook_unavailable` when the hook failed under the `fail_closed` policy); nothing was stored
        message (str):
    """

    code: ErrorCode
    message: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code.value

        message = self.message

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        code = ErrorCode(d.pop("code"))

        message = d.pop("message")

        error_detail = cls(
            code=code,
            message=message,
        )

        error_detail.additional_properties = d
        return error_detail

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
