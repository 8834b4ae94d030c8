from enum import StrEnum


class ActorSort(StrEnum):
    DEPTH = "depth"
    HANDLED = "handled"
    WAIT = "wait"

    def __str__(self) -> str:
        return str(self.value)
