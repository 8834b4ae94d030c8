from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.role import Role
from ..models.user_kind import UserKind

T = TypeVar("T", bound="MemberView")


@_attrs_define
class MemberView:
    """A member as the API shows it; `role` is the role in force now (an expired grant
    shows the role underneath, and `expires_at` is then null).

        Attributes:
            expires_at (datetime.datetime | None): When the grant of `role` ends; null: it does not.
            id (str):
            kind (UserKind): What kind of principal a token or message sender is.
            last_read_seq (int):
            last_seen (datetime.datetime | None):
            name (str):
            online (bool):
            role (Role): A room member's role; ordered so `Owner > Admin > Moderator > Member`.
    """

    expires_at: datetime.datetime | None
    id: str
    kind: UserKind
    last_read_seq: int
    last_seen: datetime.datetime | None
    name: str
    online: bool
    role: Role
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        expires_at: None | str
        if isinstance(self.expires_at, datetime.datetime):
            expires_at = self.expires_at.isoformat()
        else:
            expires_at = self.expires_at

        id = self.id

        kind = self.kind.value

        last_read_seq = self.last_read_seq

        last_seen: None | str
        if isinstance(self.last_seen, datetime.datetime):
            last_seen = self.last_seen.isoformat()
        else:
            last_seen = self.last_seen

        name = self.name

        online = self.online

        role = self.role.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "expires_at": expires_at,
                "id": id,
                "kind": kind,
                "last_read_seq": last_read_seq,
                "last_seen": last_seen,
                "name": name,
                "online": online,
                "role": role,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_expires_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                expires_at_type_0 = datetime.datetime.fromisoformat(data)

                return expires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        expires_at = _parse_expires_at(d.pop("expires_at"))

        id = d.pop("id")

        kind = UserKind(d.pop("kind"))

        last_read_seq = d.pop("last_read_seq")

        def _parse_last_seen(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_seen_type_0 = datetime.datetime.fromisoformat(data)

                return last_seen_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        last_seen = _parse_last_seen(d.pop("last_seen"))

        name = d.pop("name")

        online = d.pop("online")

        role = Role(d.pop("role"))

        member_view = cls(
            expires_at=expires_at,
            id=id,
            kind=kind,
            last_read_seq=last_read_seq,
            last_seen=last_seen,
            name=name,
            online=online,
            role=role,
        )

        member_view.additional_properties = d
        return member_view

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
