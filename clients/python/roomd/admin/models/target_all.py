from enum import StrEnum


class TargetAll(StrEnum):
    ALL = "all"

    def __str__(self) -> str:
        return str(self.value)
