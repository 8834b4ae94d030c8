from enum import StrEnum


class UserKind(StrEnum):
    ADMIN = "admin"
    BOT = "bot"
    SYSTEM = "system"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
