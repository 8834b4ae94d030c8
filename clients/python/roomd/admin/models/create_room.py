from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.room_settings_update import RoomSettingsUpdate


T = TypeVar("T", bound="CreateRoom")


@_attrs_define
class CreateRoom:
    """`POST /rooms` body. An unknown field, or an unknown setting, is 422 (as in a patch).

    Attributes:
        id (str): Lower-case letters, digits, `_` and `-`, starting with a letter or digit; 422 otherwise. Example:
            lobby.
        name (None | str | Unset): 1 to 200 characters, not only blanks, no NUL; defaults to the id.
        settings (None | RoomSettingsUpdate | Unset):
        tags (list[str] | Unset): Each 1 to 64 characters, no NUL.
    """

    id: str
    name: None | str | Unset = UNSET
    settings: None | RoomSettingsUpdate | Unset = UNSET
    tags: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.room_settings_update import RoomSettingsUpdate

        id = self.id

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        settings: dict[str, Any] | None | Unset
        if isinstance(self.settings, Unset):
            settings = UNSET
        elif isinstance(self.settings, RoomSettingsUpdate):
            settings = self.settings.to_dict()
        else:
            settings = self.settings

        tags: list[str] | Unset = UNSET
        if not isinstance(self.tags, Unset):
            tags = self.tags

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "id": id,
            }
        )
        if name is not UNSET:
            field_dict["name"] = name
        if settings is not UNSET:
            field_dict["settings"] = settings
        if tags is not UNSET:
            field_dict["tags"] = tags

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.room_settings_update import RoomSettingsUpdate

        d = dict(src_dict)
        id = d.pop("id")

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_settings(data: object) -> None | RoomSettingsUpdate | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                settings_type_1 = RoomSettingsUpdate.from_dict(data)

                return settings_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RoomSettingsUpdate | Unset, data)

        settings = _parse_settings(d.pop("settings", UNSET))

        tags = cast(list[str], d.pop("tags", UNSET))

        create_room = cls(
            id=id,
            name=name,
            settings=settings,
            tags=tags,
        )

        return create_room
