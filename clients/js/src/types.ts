/**
 * The shapes of the protocol (docs/PROTOCOL.md) as the application sees them: the
 * events the client emits (a discriminated union on `type`) and the values its
 * methods resolve to. Server frames are passed on with their field names unchanged
 * (snake_case, as on the wire), minus the request `id`.
 */

import type { RoomdError } from "./errors.js";

/** A user as frames name it (`from`, `user`). */
export interface UserRef {
  id: string;
  name: string;
  /** `user`, `bot`, `admin` or `system`. */
  kind: string;
}

/** One entry of `joined.members`. */
export interface Member extends UserRef {
  role: string;
  online: boolean;
}

/** The limits a session is held to (`hello.limits`). */
export interface Limits {
  max_text: number;
  max_frame_bytes: number;
  msgs_per_sec: number;
  burst: number;
}

/** A stored message (live, replayed or from history). */
export interface MessageEvent {
  type: "message";
  room: string;
  seq: number;
  from: UserRef;
  text: string;
  /** RFC 3339 time of the commit. */
  ts: string;
  /** The sender's `client_id`, `null` when the sender gave none. */
  client_id: string | null;
  /** On a bot's answer to a command: the invocation id. */
  reply_to?: string;
  /** Present (true) only on `!announce` posts. */
  announcement?: boolean;
  /** Present (true) only on a deleted message (a tombstone: `text` is `""`). */
  deleted?: boolean;
  /** On a tombstone: who deleted it (a user id; `system` for an operator). */
  deleted_by?: string;
  /** On a tombstone: RFC 3339 time of the deletion. */
  deleted_at?: string;
}

/**
 * A message of a joined room was deleted (it is a tombstone from now on: history and
 * replays return it with `deleted: true` and `text` `""`). Always after the `message`
 * event it is about; takes no seq.
 */
export interface MessageDeletedEvent {
  type: "message_deleted";
  room: string;
  /** The seq of the deleted message. */
  seq: number;
  /** Who deleted it (a user id; `system` for an operator through the admin API). */
  deleted_by: string;
  /** RFC 3339 time of the deletion. */
  deleted_at: string;
}

/** The connection is up (the server's `hello`); emitted on every (re)connect. */
export interface ConnectedEvent {
  type: "connected";
  session: string;
  user: UserRef;
  heartbeat_ms: number;
  limits: Limits;
  /** `"1.1"` from a 1.1 server; absent from a 1.0 one. */
  protocol?: string;
  /** False on the first connection, true on every reconnect. */
  reconnected: boolean;
}

/** The connection ended (or a connection attempt failed). */
export interface DisconnectedEvent {
  type: "disconnected";
  /** The WebSocket close code (1006 when no close frame came: refused, reset, killed). */
  code: number;
  reason: string;
  /** Whether the library will reconnect (false: see `close` for the error). */
  willReconnect: boolean;
  /** The delay before the next attempt, when reconnecting. */
  delayMs?: number;
  /** The handshake's HTTP status, when the WebSocket implementation reports it. */
  httpStatus?: number;
}

/** The client stopped for good: `error` says why (absent after `client.close()`). */
export interface CloseEvent {
  type: "close";
  error?: RoomdError;
}

/** A room was joined, or joined again after a reconnect. */
export interface JoinedEvent {
  type: "joined";
  room: string;
  /** The room's last seq when the join was answered. */
  seq: number;
  last_read_seq: number;
  unread: number;
  /**
   * The server could not replay everything missed (more than `rooms.max_replay`);
   * the library then pages the gap from history itself before passing on live
   * messages, so the application still sees every message once, in order.
   */
  truncated: boolean;
  members: Member[];
  /** True when this is the library joining again after a reconnect. */
  resumed: boolean;
}

export interface MemberJoinedEvent {
  type: "member_joined";
  room: string;
  user: UserRef;
}

export interface MemberLeftEvent {
  type: "member_left";
  room: string;
  user: UserRef;
}

export interface TypingEvent {
  type: "typing";
  room: string;
  user: UserRef;
  active: boolean;
}

/** Another user's read position moved. */
export interface ReadEvent {
  type: "read";
  room: string;
  user: UserRef;
  seq: number;
}

/** A notice from the server (a refused send also rejects that send's promise). */
export interface NoticeEvent {
  type: "notice";
  room?: string;
  text: string;
  /** `repeated`, `banned_word`, … when given. */
  reason?: string;
}

/**
 * An `error` frame that answers no request of the library's (errors that answer a
 * request reject that request's promise instead), or an error the library hit
 * handling something (a bot command handler that threw: `code` `handler`).
 */
export interface ErrorEvent {
  type: "error";
  /** The protocol error code: `bad_request`, `rate_limited`, `room_unavailable`, … */
  code: string;
  message: string;
  retry_after_ms?: number;
}

/**
 * The room was deleted, or this user removed from it (`reason` `banned` for a ban,
 * also when a rejoin after a reconnect is refused with `banned`); the library
 * forgets it and does not join it again.
 */
export interface RoomClosedEvent {
  type: "room_closed";
  room: string;
  reason: string;
}

/** A `!command` for this bot (see `client.command()` to answer them). */
export interface CommandEvent {
  type: "command";
  room: string;
  invocation: string;
  name: string;
  args: string;
  from: UserRef;
  /** The seq of the invoking message. */
  seq: number;
}

/** A bot command registration was accepted in a room. */
export interface RegisteredEvent {
  type: "registered";
  room: string;
  name: string;
  description: string;
  min_role: string;
}

/** Everything `client.on()` can deliver. */
export type ClientEvent =
  | MessageEvent
  | MessageDeletedEvent
  | ConnectedEvent
  | DisconnectedEvent
  | CloseEvent
  | JoinedEvent
  | MemberJoinedEvent
  | MemberLeftEvent
  | TypingEvent
  | ReadEvent
  | NoticeEvent
  | ErrorEvent
  | RoomClosedEvent
  | CommandEvent
  | RegisteredEvent;

/** The event types, for `client.on(type, …)`. */
export type ClientEventType = ClientEvent["type"];

/** The event of one type. */
export type EventOf<T extends ClientEventType> = Extract<ClientEvent, { type: T }>;

/** What `send()` resolves to: the server's `ack`. */
export interface Ack {
  room: string;
  seq: number;
  client_id: string;
  /** True when the server had stored this `client_id` already (a resend). */
  duplicate: boolean;
}

/** What `delete()` resolves to: the server's `deleted` reply. */
export interface Deleted {
  room: string;
  seq: number;
  /** Who deleted it: this user, or the original deleter when it was a tombstone already. */
  deleted_by: string;
  /** RFC 3339 time of the deletion (the original one for a tombstone already). */
  deleted_at: string;
}

/** One page of history, oldest first. */
export interface HistoryPage {
  messages: MessageEvent[];
  has_more: boolean;
}
