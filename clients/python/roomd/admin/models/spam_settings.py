from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="SpamSettings")


@_attrs_define
class SpamSettings:
    """Per-room spam limits overriding `[spam]`.

    Attributes:
        max_repeats (int): Sends of one text a user may make within the window; 0: no limit.
        window_secs (int): The window, in seconds.
    """

    max_repeats: int
    window_secs: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        max_repeats = self.max_repeats

        window_secs = self.window_secs

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "max_repeats": max_repeats,
                "window_secs": window_secs,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        max_repeats = d.pop("max_repeats")

        window_secs = d.pop("window_secs")

        spam_settings = cls(
            max_repeats=max_repeats,
            window_secs=window_secs,
        )

        spam_settings.additional_properties = d
        return spam_settings

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
