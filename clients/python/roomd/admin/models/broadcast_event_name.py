from enum import StrEnum


class BroadcastEventName(StrEnum):
    DONE = "done"
    PROGRESS = "progress"
    ROOM = "room"

    def __str__(self) -> str:
        return str(self.value)
