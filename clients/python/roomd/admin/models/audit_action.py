from enum import StrEnum


class AuditAction(StrEnum):
    BROADCAST_CANCEL = "broadcast.cancel"
    BROADCAST_CREATE = "broadcast.create"
    MEMBER_BAN = "member.ban"
    MEMBER_KICK = "member.kick"
    MEMBER_MUTE = "member.mute"
    MEMBER_ROLE = "member.role"
    MEMBER_UNBAN = "member.unban"
    MEMBER_UNMUTE = "member.unmute"
    MESSAGE_DELETE = "message.delete"
    MESSAGE_POST = "message.post"
    ROOM_CRASH = "room.crash"
    ROOM_CREATE = "room.create"
    ROOM_DELETE = "room.delete"
    ROOM_RESTART = "room.restart"
    ROOM_UPDATE = "room.update"
    SCHEDULE_CREATE = "schedule.create"
    SCHEDULE_DELETE = "schedule.delete"
    SCHEDULE_UPDATE = "schedule.update"
    SESSION_DISCONNECT = "session.disconnect"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    USER_DISCONNECT = "user.disconnect"
    WEBHOOK_CREATE = "webhook.create"
    WEBHOOK_DELETE = "webhook.delete"
    WEBHOOK_RESUME = "webhook.resume"
    WEBHOOK_UPDATE = "webhook.update"

    def __str__(self) -> str:
        return str(self.value)
