from enum import StrEnum


class FireOutcome(StrEnum):
    FIRED = "fired"
    SKIPPED = "skipped"

    def __str__(self) -> str:
        return str(self.value)
