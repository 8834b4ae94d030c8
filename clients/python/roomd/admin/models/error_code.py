from enum import StrEnum


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    BANNED = "banned"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    INTERNAL = "internal"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    MUTED = "muted"
    NOT_FOUND = "not_found"
    NOT_JOINED = "not_joined"
    RATE_LIMITED = "rate_limited"
    REJECTED_BY_HOOK = "rejected_by_hook"
    ROOM_UNAVAILABLE = "room_unavailable"
    TOO_LARGE = "too_large"
    UNAUTHORIZED = "unauthorized"
    UNAVAILABLE = "unavailable"
    UNPROCESSABLE = "unprocessable"

    def __str__(self) -> str:
        return str(self.value)
