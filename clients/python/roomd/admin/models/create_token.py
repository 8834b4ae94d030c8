from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.token_kind import TokenKind
from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateToken")


@_attrs_define
class CreateToken:
    """`POST /tokens` body; an unknown field is 422.

    Attributes:
        kind (TokenKind): The kind of an access token (`system` is roomd's own and has none).
        name (str): The user id of the token's sessions: 1 to 64 characters, not only blanks, no
            NUL, and not a reserved id (`system`, `roomd`, in any case, `.`, `..`); 422 otherwise.
        roles (list[str] | Unset): Each 1 to 64 characters, no NUL.
    """

    kind: TokenKind
    name: str
    roles: list[str] | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind.value

        name = self.name

        roles: list[str] | Unset = UNSET
        if not isinstance(self.roles, Unset):
            roles = self.roles

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "kind": kind,
                "name": name,
            }
        )
        if roles is not UNSET:
            field_dict["roles"] = roles

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        kind = TokenKind(d.pop("kind"))

        name = d.pop("name")

        roles = cast(list[str], d.pop("roles", UNSET))

        create_token = cls(
            kind=kind,
            name=name,
            roles=roles,
        )

        return create_token
