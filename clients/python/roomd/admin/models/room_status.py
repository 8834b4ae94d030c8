from enum import StrEnum


class RoomStatus(StrEnum):
    QUARANTINED = "quarantined"
    RESTARTING = "restarting"
    RUNNING = "running"
    STOPPED = "stopped"

    def __str__(self) -> str:
        return str(self.value)
