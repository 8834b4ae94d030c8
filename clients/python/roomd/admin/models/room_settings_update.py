from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.publish_hook_settings import PublishHookSettings
    from ..models.spam_settings import SpamSettings


T = TypeVar("T", bound="RoomSettingsUpdate")


@_attrs_define
class RoomSettingsUpdate:
    """Room settings in a request: any of them (an unknown one is 422); each one given
    replaces the stored one (or, on creation, the default), and `null` sets it back to
    its default.

        Attributes:
            banned_words (list[str] | None | Unset): Messages containing one of these words (case-insensitive, whole words)
                are
                refused; no entry empty or blank.
            max_members (int | None | Unset): At most this many members; null for no limit.
            publish_hook (None | PublishHookSettings | Unset):
            retention_days (int | None | Unset): Messages older than this many days are deleted; 0 keeps them forever; null:
                the server's `rooms.retention_days`.
            rules (None | str | Unset): The room's rules.
            spam (None | SpamSettings | Unset):
            welcome_template (None | str | Unset): The welcome sent to a member who joins (`{{name}}`, `{{room}}` and
                `{{member_count}}` are filled in; empty: no welcome).
    """

    banned_words: list[str] | None | Unset = UNSET
    max_members: int | None | Unset = UNSET
    publish_hook: None | PublishHookSettings | Unset = UNSET
    retention_days: int | None | Unset = UNSET
    rules: None | str | Unset = UNSET
    spam: None | SpamSettings | Unset = UNSET
    welcome_template: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.publish_hook_settings import PublishHookSettings
        from ..models.spam_settings import SpamSettings

        banned_words: list[str] | None | Unset
        if isinstance(self.banned_words, Unset):
            banned_words = UNSET
        elif isinstance(self.banned_words, list):
            banned_words = self.banned_words

        else:
            banned_words = self.banned_words

        max_members: int | None | Unset
        if isinstance(self.max_members, Unset):
            max_members = UNSET
        else:
            max_members = self.max_members

        publish_hook: dict[str, Any] | None | Unset
        if isinstance(self.publish_hook, Unset):
            publish_hook = UNSET
        elif isinstance(self.publish_hook, PublishHookSettings):
            publish_hook = self.publish_hook.to_dict()
        else:
            publish_hook = self.publish_hook

        retention_days: int | None | Unset
        if isinstance(self.retention_days, Unset):
            retention_days = UNSET
        else:
            retention_days = self.retention_days

        rules: None | str | Unset
        if isinstance(self.rules, Unset):
            rules = UNSET
        else:
            rules = self.rules

        spam: dict[str, Any] | None | Unset
        if isinstance(self.spam, Unset):
            spam = UNSET
        elif isinstance(self.spam, SpamSettings):
            spam = self.spam.to_dict()
        else:
            spam = self.spam

        welcome_template: None | str | Unset
        if isinstance(self.welcome_template, Unset):
            welcome_template = UNSET
        else:
            welcome_template = self.welcome_template

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if banned_words is not UNSET:
            field_dict["banned_words"] = banned_words
        if max_members is not UNSET:
            field_dict["max_members"] = max_members
        if publish_hook is not UNSET:
            field_dict["publish_hook"] = publish_hook
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days
        if rules is not UNSET:
            field_dict["rules"] = rules
        if spam is not UNSET:
            field_dict["spam"] = spam
        if welcome_template is not UNSET:
            field_dict["welcome_template"] = welcome_template

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.publish_hook_settings import PublishHookSettings
        from ..models.spam_settings import SpamSettings

        d = dict(src_dict)

        def _parse_banned_words(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                banned_words_type_0 = cast(list[str], data)

                return banned_words_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        banned_words = _parse_banned_words(d.pop("banned_words", UNSET))

        def _parse_max_members(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_members = _parse_max_members(d.pop("max_members", UNSET))

        def _parse_publish_hook(data: object) -> None | PublishHookSettings | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                publish_hook_type_1 = PublishHookSettings.from_dict(data)

                return publish_hook_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PublishHookSettings | Unset, data)

        publish_hook = _parse_publish_hook(d.pop("publish_hook", UNSET))

        def _parse_retention_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retention_days = _parse_retention_days(d.pop("retention_days", UNSET))

        def _parse_rules(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        rules = _parse_rules(d.pop("rules", UNSET))

        def _parse_spam(data: object) -> None | SpamSettings | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                spam_type_1 = SpamSettings.from_dict(data)

                return spam_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SpamSettings | Unset, data)

        spam = _parse_spam(d.pop("spam", UNSET))

        def _parse_welcome_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        welcome_template = _parse_welcome_template(d.pop("welcome_template", UNSET))

        room_settings_update = cls(
            banned_words=banned_words,
            max_members=max_members,
            publish_hook=publish_hook,
            retention_days=retention_days,
            rules=rules,
            spam=spam,
            welcome_template=welcome_template,
        )

        return room_settings_update
