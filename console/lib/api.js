// The console's only way to the server: the admin API under /api/v1, with the admin
// token in the Authorization header (never in a URL), kept in sessionStorage so it is
// gone when the tab closes.
//
// Every answer goes through `api()`: a JSON error becomes an `ApiError` carrying the
// API's own code and message; a request that never got an answer (server down,
// network gone, a proxy's 502/504) becomes `Disconnected`. `connection` tells the
// app about both: "unauthorized" (a 401 anywhere logs the tab out), "disconnected"
// and "connected" (the banner).

const TOKEN_KEY = "roomd.console.adminToken";

export const connection = new EventTarget();

/** An error answer of the admin API: HTTP status, the API's code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** No answer from the server. */
export class Disconnected extends Error {
  constructor(cause) {
    super("disconnected from the server");
    this.cause = cause;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

function emit(type, detail) {
  connection.dispatchEvent(new CustomEvent(type, { detail }));
}

function headers(extra = {}) {
  return { Authorization: `Bearer ${token.get() ?? ""}`, Accept: "application/json", ...extra };
}

/** Turns a non-2xx answer into an ApiError (or Disconnected for a gateway's error page). */
async function failure(res) {
  const text = await res.text().catch(() => "");
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: a proxy's page, or nothing
  }
  if (!body?.error && [502, 503, 504].includes(res.status)) return new Disconnected(res.status);
  const code = body?.error?.code ?? `http_${res.status}`;
  const message = body?.error?.message ?? `${res.status} ${res.statusText || "error"}`;
  const err = new ApiError(res.status, code, message);
  if (res.status === 401) emit("unauthorized", err);
  return err;
}

async function send(path, init) {
  let res;
  try {
    res = await fetch(`/api/v1${path}`, { cache: "no-store", ...init });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    emit("disconnected");
    throw new Disconnected(e);
  }
  if (!res.ok) {
    const err = await failure(res);
    emit(err instanceof Disconnected ? "disconnected" : "connected");
    throw err;
  }
  emit("connected");
  return res;
}

/** One admin API call; resolves to the JSON answer (null for 204). */
export async function api(method, path, body, { signal } = {}) {
  const init = { method, signal, headers: headers() };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await send(path, init);
  if (res.status === 204) return null;
  return res.json();
}

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

/**
 * Reads a Server-Sent Events stream of the admin API (fetch, because EventSource
 * cannot send an Authorization header). Calls `onEvent({event, data, id})` for each
 * event, `data` parsed as JSON when it is JSON, and `onOpen()` once the server has
 * accepted the stream; resolves when the server ends the stream, rejects like `api()`.
 * `signal` stops it.
 */
export async function readEvents(path, onEvent, { signal, lastEventId, onOpen } = {}) {
  const extra = { Accept: "text/event-stream" };
  if (lastEventId !== undefined && lastEventId !== null) extra["Last-Event-ID"] = String(lastEventId);
  const res = await send(path, { method: "GET", signal, headers: headers(extra) });
  onOpen?.();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let ev = { event: "message", data: [], id: null };
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (e) {
      if (e.name === "AbortError") throw e;
      emit("disconnected");
      throw new Disconnected(e);
    }
    if (chunk.done) return;
    buf += chunk.value;
    let nl;
    while ((nl = buf.search(/\r?\n/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf[nl] === "\r" ? 2 : 1));
      if (line === "") {
        if (ev.data.length) {
          const raw = ev.data.join("\n");
          let data = raw;
          try {
            data = JSON.parse(raw);
          } catch {
            // plain text data
          }
          onEvent({ event: ev.event, data, id: ev.id });
        }
        ev = { event: "message", data: [], id: null };
      } else if (!line.startsWith(":")) {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") ev.event = value;
        else if (field === "data") ev.data.push(value);
        else if (field === "id") ev.id = value;
      }
    }
  }
}
