from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.audit_action import AuditAction
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.audit_actor import AuditActor
    from ..models.audit_view_detail import AuditViewDetail


T = TypeVar("T", bound="AuditView")


@_attrs_define
class AuditView:
    """An audit entry as the API shows it.

    Attributes:
        action (AuditAction): What an admin made with the API: the `action` of an audit entry.
        actor (AuditActor): Who made the change: the admin token's id and name.
        at (datetime.datetime):
        detail (AuditViewDetail):
        id (int):
        target (str):
        request_id (None | str | Unset): `X-Request-Id` of the request that made the change (the client's, or one the
            server made); null for entries written before request ids were kept. Example: abc-123.
    """

    action: AuditAction
    actor: AuditActor
    at: datetime.datetime
    detail: AuditViewDetail
    id: int
    target: str
    request_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action.value

        actor = self.actor.to_dict()

        at = self.at.isoformat()

        detail = self.detail.to_dict()

        id = self.id

        target = self.target

        request_id: None | str | Unset
        if isinstance(self.request_id, Unset):
            request_id = UNSET
        else:
            request_id = self.request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "actor": actor,
                "at": at,
                "detail": detail,
                "id": id,
                "target": target,
            }
        )
        if request_id is not UNSET:
            field_dict["request_id"] = request_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.audit_actor import AuditActor
        from ..models.audit_view_detail import AuditViewDetail

        d = dict(src_dict)
        action = AuditAction(d.pop("action"))

        actor = AuditActor.from_dict(d.pop("actor"))

        at = datetime.datetime.fromisoformat(d.pop("at"))

        detail = AuditViewDetail.from_dict(d.pop("detail"))

        id = d.pop("id")

        target = d.pop("target")

        def _parse_request_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        request_id = _parse_request_id(d.pop("request_id", UNSET))

        audit_view = cls(
            action=action,
            actor=actor,
            at=at,
            detail=detail,
            id=id,
            target=target,
            request_id=request_id,
        )

        audit_view.additional_properties = d
        return audit_view

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
