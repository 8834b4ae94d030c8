from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PostMessage")


@_attrs_define
class PostMessage:
    """`POST …/messages` body.

    Attributes:
        text (str): 1 to `limits.max_text` characters, no NUL. Example: maintenance at noon.
        client_id (None | str | Unset): Resending with the same id is answered with the original message (200).
    """

    text: str
    client_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        text = self.text

        client_id: None | str | Unset
        if isinstance(self.client_id, Unset):
            client_id = UNSET
        else:
            client_id = self.client_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "text": text,
            }
        )
        if client_id is not UNSET:
            field_dict["client_id"] = client_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        text = d.pop("text")

        def _parse_client_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        client_id = _parse_client_id(d.pop("client_id", UNSET))

        post_message = cls(
            text=text,
            client_id=client_id,
        )

        return post_message
