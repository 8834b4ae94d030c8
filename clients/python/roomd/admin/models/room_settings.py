from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.publish_hook_settings import PublishHookSettings
    from ..models.spam_settings import SpamSettings


T = TypeVar("T", bound="RoomSettings")


@_attrs_define
class RoomSettings:
    """Per-room settings, stored as JSON in `rooms.settings`.

    Attributes:
        banned_words (list[str]): Messages containing one of these words (case-insensitive, whole words) are refused.
        max_members (int | None): At most this many members; null: no limit.
        publish_hook (None | PublishHookSettings):
        retention_days (int | None): Messages older than this many days are deleted (the room's newest one
            excepted); 0: kept forever; null: the server's `rooms.retention_days`.
        rules (None | str): The room's rules; null: none.
        spam (None | SpamSettings):
        welcome_template (None | str): The welcome sent to a member who joins (`{{name}}`, `{{room}}` and
            `{{member_count}}` are filled in; empty: no welcome); null: the server's template.
    """

    banned_words: list[str]
    max_members: int | None
    publish_hook: None | PublishHookSettings
    retention_days: int | None
    rules: None | str
    spam: None | SpamSettings
    welcome_template: None | str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.publish_hook_settings import PublishHookSettings
        from ..models.spam_settings import SpamSettings

        banned_words = self.banned_words

        max_members: int | None
        max_members = self.max_members

        publish_hook: dict[str, Any] | None
        if isinstance(self.publish_hook, PublishHookSettings):
            publish_hook = self.publish_hook.to_dict()
        else:
            publish_hook = self.publish_hook

        retention_days: int | None
        retention_days = self.retention_days

        rules: None | str
        rules = self.rules

        spam: dict[str, Any] | None
        if isinstance(self.spam, SpamSettings):
            spam = self.spam.to_dict()
        else:
            spam = self.spam

        welcome_template: None | str
        welcome_template = self.welcome_template

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "banned_words": banned_words,
                "max_members": max_members,
                "publish_hook": publish_hook,
                "retention_days": retention_days,
                "rules": rules,
                "spam": spam,
                "welcome_template": welcome_template,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.publish_hook_settings import PublishHookSettings
        from ..models.spam_settings import SpamSettings

        d = dict(src_dict)
        banned_words = cast(list[str], d.pop("banned_words"))

        def _parse_max_members(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        max_members = _parse_max_members(d.pop("max_members"))

        def _parse_publish_hook(data: object) -> None | PublishHookSettings:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                publish_hook_type_1 = PublishHookSettings.from_dict(data)

                return publish_hook_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PublishHookSettings, data)

        publish_hook = _parse_publish_hook(d.pop("publish_hook"))

        def _parse_retention_days(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        retention_days = _parse_retention_days(d.pop("retention_days"))

        def _parse_rules(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        rules = _parse_rules(d.pop("rules"))

        def _parse_spam(data: object) -> None | SpamSettings:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                spam_type_1 = SpamSettings.from_dict(data)

                return spam_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SpamSettings, data)

        spam = _parse_spam(d.pop("spam"))

        def _parse_welcome_template(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        welcome_template = _parse_welcome_template(d.pop("welcome_template"))

        room_settings = cls(
            banned_words=banned_words,
            max_members=max_members,
            publish_hook=publish_hook,
            retention_days=retention_days,
            rules=rules,
            spam=spam,
            welcome_template=welcome_template,
        )

        room_settings.additional_properties = d
        return room_settings

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
