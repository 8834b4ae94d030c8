from enum import StrEnum


class TokenKind(StrEnum):
    ADMIN = "admin"
    BOT = "bot"
    USER = "user"

    def __str__(self) -> str:
        return str(self.value)
