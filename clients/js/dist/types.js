/**
 * The shapes of the protocol (docs/PROTOCOL.md) as the application sees them: the
 * events the client emits (a discriminated union on `type`) and the values its
 * methods resolve to. Server frames are passed on with their field names unchanged
 * (snake_case, as on the wire), minus the request `id`.
 */
export {};
