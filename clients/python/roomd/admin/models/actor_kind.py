from enum import StrEnum


class ActorKind(StrEnum):
    BROADCAST = "broadcast"
    CLUSTER = "cluster"
    REGISTRY = "registry"
    RETENTION = "retention"
    ROOM = "room"
    SAMPLER = "sampler"
    SCHEDULER = "scheduler"
    SESSION = "session"
    STORE_WRITER = "store_writer"
    SUPERVISOR = "supervisor"
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)
