from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.ready_status import ReadyStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="Readiness")


@_attrs_define
class Readiness:
    """`GET /readyz` answer, with 200 (`ready`) or 503 (`unavailable`).

    Attributes:
        status (ReadyStatus): Schema only: `Readiness.status`.
        store (bool): The store answered a ping within 500 ms.
        store_writes (bool): False from a commit that failed for lack of disk space until one succeeds again.
        supervisor (bool): The room registry answered.
        nats (bool | Unset): Cluster mode only: connected to NATS now (calls to rooms owned elsewhere work).
    """

    status: ReadyStatus
    store: bool
    store_writes: bool
    supervisor: bool
    nats: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status.value

        store = self.store

        store_writes = self.store_writes

        supervisor = self.supervisor

        nats = self.nats

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
                "store": store,
                "store_writes": store_writes,
                "supervisor": supervisor,
            }
        )
        if nats is not UNSET:
            field_dict["nats"] = nats

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        status = ReadyStatus(d.pop("status"))

        store = d.pop("store")

        store_writes = d.pop("store_writes")

        supervisor = d.pop("supervisor")

        nats = d.pop("nats", UNSET)

        readiness = cls(
            status=status,
            store=store,
            store_writes=store_writes,
            supervisor=supervisor,
            nats=nats,
        )

        readiness.additional_properties = d
        return readiness

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
