/**
 * roomd client: the public entry point. See clients/js/README.md for the guide.
 */
export { connect, RoomdClient } from "./client.js";
export { RoomdError, Unauthorized, TokenExpired, TokenRevoked, DisconnectedByOperator, ProtocolViolation, ConnectionClosed, ClientClosed, RequestRefused, Banned, Muted, RoomClosed, closePolicy, } from "./errors.js";
export { NoWebSocketError, PROTOCOL_NAME, TOKEN_PROTOCOL_PREFIX } from "./socket.js";
