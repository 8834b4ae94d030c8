from enum import StrEnum


class RoomEventName(StrEnum):
    MESSAGE = "message"
    MESSAGE_DELETED = "message_deleted"
    ROOM_DELETED = "room_deleted"

    def __str__(self) -> str:
        return str(self.value)
