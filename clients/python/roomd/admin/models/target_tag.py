from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TargetTag")


@_attrs_define
class TargetTag:
    """The broadcast target `{"tag": T}`: every room with the tag `T`.

    Attributes:
        tag (str):  Example: eu.
    """

    tag: str

    def to_dict(self) -> dict[str, Any]:
        tag = self.tag

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "tag": tag,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        tag = d.pop("tag")

        target_tag = cls(
            tag=tag,
        )

        return target_tag
