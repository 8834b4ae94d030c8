from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    MODERATOR = "moderator"
    OWNER = "owner"

    def __str__(self) -> str:
        return str(self.value)
