from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.report_view_failures_by_reason import ReportViewFailuresByReason


T = TypeVar("T", bound="ReportView")


@_attrs_define
class ReportView:
    """The summary of a finished job.

    Attributes:
        duration_ms (int): From the first delivery attempt to the end (ms).
        failures_by_reason (ReportViewFailuresByReason): Failed rooms by reason.
    """

    duration_ms: int
    failures_by_reason: ReportViewFailuresByReason
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        duration_ms = self.duration_ms

        failures_by_reason = self.failures_by_reason.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "duration_ms": duration_ms,
                "failures_by_reason": failures_by_reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.report_view_failures_by_reason import ReportViewFailuresByReason

        d = dict(src_dict)
        duration_ms = d.pop("duration_ms")

        failures_by_reason = ReportViewFailuresByReason.from_dict(
            d.pop("failures_by_reason")
        )

        report_view = cls(
            duration_ms=duration_ms,
            failures_by_reason=failures_by_reason,
        )

        report_view.additional_properties = d
        return report_view

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
