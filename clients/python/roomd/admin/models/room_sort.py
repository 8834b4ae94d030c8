from enum import StrEnum


class RoomSort(StrEnum):
    ACTIVITY = "activity"
    ID = "id"
    MEMBERS = "members"
    NAME = "name"

    def __str__(self) -> str:
        return str(self.value)
