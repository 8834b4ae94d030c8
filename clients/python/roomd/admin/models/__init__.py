"""Contains all the data models used in inputs/outputs"""

from .actor_kind import ActorKind
from .actor_list import ActorList
from .actor_mailbox import ActorMailbox
from .actor_node import ActorNode
from .actor_quantiles import ActorQuantiles
from .actor_sort import ActorSort
from .audit_action import AuditAction
from .audit_actor import AuditActor
from .audit_page import AuditPage
from .audit_view import AuditView
from .audit_view_detail import AuditViewDetail
from .broadcast_event import BroadcastEvent
from .broadcast_event_name import BroadcastEventName
from .broadcast_page import BroadcastPage
from .broadcast_room_status import BroadcastRoomStatus
from .broadcast_status import BroadcastStatus
from .broadcast_view import BroadcastView
from .bulk_deletion import BulkDeletion
from .busiest_actors import BusiestActors
from .counts import Counts
from .crashed import Crashed
from .create_broadcast import CreateBroadcast
from .create_room import CreateRoom
from .create_schedule import CreateSchedule
from .create_token import CreateToken
from .create_webhook import CreateWebhook
from .delivery_list import DeliveryList
from .delivery_view import DeliveryView
from .disconnected_sessions import DisconnectedSessions
from .error_body import ErrorBody
from .error_code import ErrorCode
from .error_detail import ErrorDetail
from .fire_outcome import FireOutcome
from .fire_view import FireView
from .health import Health
from .health_status import HealthStatus
from .history_page import HistoryPage
from .hook_policy import HookPolicy
from .mailbox_view import MailboxView
from .member_page import MemberPage
from .member_view import MemberView
from .message_from import MessageFrom
from .message_item import MessageItem
from .message_type import MessageType
from .node_list import NodeList
from .node_view import NodeView
from .open_api_document import OpenApiDocument
from .overview import Overview
from .overview_rooms import OverviewRooms
from .overview_sample import OverviewSample
from .patch_room import PatchRoom
from .patch_schedule import PatchSchedule
from .patch_webhook import PatchWebhook
from .post_message import PostMessage
from .priority import Priority
from .publish_hook_settings import PublishHookSettings
from .readiness import Readiness
from .ready_status import ReadyStatus
from .report_view import ReportView
from .report_view_failures_by_reason import ReportViewFailuresByReason
from .restriction_page import RestrictionPage
from .restriction_view import RestrictionView
from .role import Role
from .room_event import RoomEvent
from .room_event_name import RoomEventName
from .room_page import RoomPage
from .room_progress_view import RoomProgressView
from .room_settings import RoomSettings
from .room_settings_update import RoomSettingsUpdate
from .room_sort import RoomSort
from .room_status import RoomStatus
from .room_view import RoomView
from .schedule_page import SchedulePage
from .schedule_preview import SchedulePreview
from .schedule_view import ScheduleView
from .session_info import SessionInfo
from .session_page import SessionPage
from .set_clock import SetClock
from .set_member import SetMember
from .set_restriction import SetRestriction
from .spam_settings import SpamSettings
from .store_commit_latency import StoreCommitLatency
from .target_all import TargetAll
from .target_tag import TargetTag
from .test_outcome import TestOutcome
from .token_kind import TokenKind
from .token_page import TokenPage
from .token_view import TokenView
from .user_kind import UserKind
from .webhook_list import WebhookList
from .webhook_state import WebhookState
from .webhook_view import WebhookView

__all__ = (
    "ActorKind",
    "ActorList",
    "ActorMailbox",
    "ActorNode",
    "ActorQuantiles",
    "ActorSort",
    "AuditAction",
    "AuditActor",
    "AuditPage",
    "AuditView",
    "AuditViewDetail",
    "BroadcastEvent",
    "BroadcastEventName",
    "BroadcastPage",
    "BroadcastRoomStatus",
    "BroadcastStatus",
    "BroadcastView",
    "BulkDeletion",
    "BusiestActors",
    "Counts",
    "Crashed",
    "CreateBroadcast",
    "CreateRoom",
    "CreateSchedule",
    "CreateToken",
    "CreateWebhook",
    "DeliveryList",
    "DeliveryView",
    "DisconnectedSessions",
    "ErrorBody",
    "ErrorCode",
    "ErrorDetail",
    "FireOutcome",
    "FireView",
    "Health",
    "HealthStatus",
    "HistoryPage",
    "HookPolicy",
    "MailboxView",
    "MemberPage",
    "MemberView",
    "MessageFrom",
    "MessageItem",
    "MessageType",
    "NodeList",
    "NodeView",
    "OpenApiDocument",
    "Overview",
    "OverviewRooms",
    "OverviewSample",
    "PatchRoom",
    "PatchSchedule",
    "PatchWebhook",
    "PostMessage",
    "Priority",
    "PublishHookSettings",
    "Readiness",
    "ReadyStatus",
    "ReportView",
    "ReportViewFailuresByReason",
    "RestrictionPage",
    "RestrictionView",
    "Role",
    "RoomEvent",
    "RoomEventName",
    "RoomPage",
    "RoomProgressView",
    "RoomSettings",
    "RoomSettingsUpdate",
    "RoomSort",
    "RoomStatus",
    "RoomView",
    "SchedulePage",
    "SchedulePreview",
    "ScheduleView",
    "SessionInfo",
    "SessionPage",
    "SetClock",
    "SetMember",
    "SetRestriction",
    "SpamSettings",
    "StoreCommitLatency",
    "TargetAll",
    "TargetTag",
    "TestOutcome",
    "TokenKind",
    "TokenPage",
    "TokenView",
    "UserKind",
    "WebhookList",
    "WebhookState",
    "WebhookView",
)
