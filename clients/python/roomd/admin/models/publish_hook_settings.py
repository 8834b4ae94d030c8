from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.hook_policy import HookPolicy

T = TypeVar("T", bound="PublishHookSettings")


@_attrs_define
class PublishHookSettings:
    """A room's own publish hook, overriding `[hooks]` (room setting `publish_hook`).

    Attributes:
        policy (HookPolicy | None):
        timeout_ms (int | None): Milliseconds; null: `hooks.publish_timeout_ms`.
        url (str): An `http://` or `https://` URL; empty: no publish hook in this room.
    """

    policy: HookPolicy | None
    timeout_ms: int | None
    url: str

    def to_dict(self) -> dict[str, Any]:
        policy: None | str
        if isinstance(self.policy, HookPolicy):
            policy = self.policy.value
        else:
            policy = self.policy

        timeout_ms: int | None
        timeout_ms = self.timeout_ms

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "policy": policy,
                "timeout_ms": timeout_ms,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_policy(data: object) -> HookPolicy | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                policy_type_1 = HookPolicy(data)

                return policy_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(HookPolicy | None, data)

        policy = _parse_policy(d.pop("policy"))

        def _parse_timeout_ms(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        timeout_ms = _parse_timeout_ms(d.pop("timeout_ms"))

        url = d.pop("url")

        publish_hook_settings = cls(
            policy=policy,
            timeout_ms=timeout_ms,
            url=url,
        )

        return publish_hook_settings
