/**
 * roomd client: the public entry point. See clients/js/README.md for the guide.
 */

export { connect, RoomdClient } from "./client.js";
export type { ClientOptions, DeleteOptions, JoinOptions, SendOptions, TokenSource } from "./client.js";
export type { CommandContext, CommandHandler, CommandOptions, Role } from "./commands.js";
export {
  RoomdError,
  Unauthorized,
  TokenExpired,
  TokenRevoked,
  DisconnectedByOperator,
  ProtocolViolation,
  ConnectionClosed,
  ClientClosed,
  RequestRefused,
  Banned,
  Muted,
  RoomClosed,
  closePolicy,
} from "./errors.js";
export type { CloseAction } from "./errors.js";
export type { BackoffOptions } from "./backoff.js";
export { NoWebSocketError, PROTOCOL_NAME, TOKEN_PROTOCOL_PREFIX } from "./socket.js";
export type { TokenCarrier, WebSocketConstructor, WebSocketLike } from "./socket.js";
export type * from "./types.js";
