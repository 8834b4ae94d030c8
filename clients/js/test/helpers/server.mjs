/**
 * A real roomd server for the tests: starts `roomd serve` on an ephemeral port with
 * its SQLite store in a temporary directory, and stops it (SIGTERM), kills it
 * (`kill -9`) and restarts it on the same port and the same store. Only the pid it
 * started is ever signalled.
 *
 * The binary is $ROOMD_BIN, default <repo>/target/debug/roomd (what CI builds).
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const ROOMD_BIN = process.env.ROOMD_BIN || join(REPO, "target/debug/roomd");
export const JWT_SECRET = "roomd-js-client-tests-secret";

/** Every server process still running, so a crashed test run leaves none behind. */
const live = new Set();
process.on("exit", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone already
    }
  }
});

export class RoomdServer {
  /**
   * `env`: extra ROOMD__… settings (docs/CONFIG.md), e.g. higher frame limits.
   */
  constructor(env = {}) {
    if (!existsSync(ROOMD_BIN)) {
      throw new Error(`roomd binary not found at ${ROOMD_BIN}: build it (cargo build) or set ROOMD_BIN`);
    }
    this.extraEnv = env;
    this.dir = mkdtempSync(join(tmpdir(), "roomd-js-test-"));
    this.db = join(this.dir, "roomd.db");
    this.logFile = join(this.dir, "server.log");
    this.port = 0;
    this.child = null;
    this.adminToken = null;
    this.starts = 0;
  }

  /** Starts a server and waits for its `listening` line. */
  static async start(env = {}) {
    const server = new RoomdServer(env);
    await server.start();
    return server;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  /** (Re)starts the process: on port 0 the first time, then on the same port and store. */
  async start(timeoutMs = 30000) {
    if (this.child) throw new Error("roomd is already running");
    this.starts += 1;
    const env = {
      ...process.env,
      ROOMD__SERVER__BIND: `127.0.0.1:${this.port}`,
      ROOMD__DATABASE__URL: `sqlite://${this.db}`,
      ROOMD__AUTH__JWT_SECRET: JWT_SECRET,
      ROOMD__LIMITS__ADMIN_PER_SEC: "100000",
      ROOMD__LIMITS__ADMIN_BURST: "100000",
      ROOMD__ROOMS__AUTO_CREATE: "true",
      ROOMD__SERVER__SHUTDOWN_TIMEOUT_SECS: "2",
      ROOMD__LOG__LEVEL: "info",
      ...this.extraEnv,
    };
    const child = spawn(ROOMD_BIN, ["serve"], { cwd: this.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    live.add(child);
    const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
    this.exited = exited;
    exited.then(() => live.delete(child));
    const tag = `--- start ${this.starts} (pid ${child.pid}) ---\n`;
    appendFileSync(this.logFile, tag);
    let stdoutBuf = "";
    let stderrBuf = "";
    const ready = new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`roomd did not log "listening" within ${timeoutMs} ms; log: ${this.logFile}`)),
        timeoutMs,
      );
      const check = () => {
        const listening = stdoutBuf.split("\n").find((l) => l.includes('"msg":"listening"'));
        const needAdmin = this.adminToken === null;
        const admin = stderrBuf.split("\n").find((l) => l.startsWith("rmd_"));
        if (admin && needAdmin) this.adminToken = admin.trim();
        if (listening && this.adminToken) {
          clearTimeout(timer);
          const addr = JSON.parse(listening).addr;
          this.port = Number(addr.split(":").pop());
          res();
        }
      };
      child.stdout.on("data", (d) => {
        appendFileSync(this.logFile, d);
        stdoutBuf += d;
        check();
      });
      child.stderr.on("data", (d) => {
        appendFileSync(this.logFile, d);
        stderrBuf += d;
        check();
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        rej(new Error(`roomd exited (code ${code}, signal ${signal}) before listening; log: ${this.logFile}`));
      });
    });
    await ready;
  }

  /** `kill -9`: no shutdown, no close frames; waits until the process is gone. */
  async kill9() {
    const child = this.child;
    if (!child) return;
    child.kill("SIGKILL");
    await this.exited;
    this.child = null;
  }

  /** SIGTERM (sessions get 1001 "server shutdown"); SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 10000) {
    const child = this.child;
    if (!child) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.child = null;
  }

  /** Stops (SIGTERM) and starts again on the same port and store. */
  async restart() {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes its directory (keeps it when KEEP_ROOMD_DIRS is set). */
  async dispose() {
    await this.stop();
    if (!process.env.KEEP_ROOMD_DIRS) rmSync(this.dir, { recursive: true, force: true });
  }

  /** An admin API call; returns the parsed body, throws on a non-2xx status. */
  async api(method, path, body) {
    const res = await fetch(`${this.httpUrl}/api/v1${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.adminToken}`,
        ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Creates a token (`kind` user, bot or admin); returns `{id, token, …}`. */
  createToken(kind, name) {
    return this.api("POST", "/tokens", { kind, name });
  }

  /** Every stored message of `room`, oldest first (pages of 500 through the admin API). */
  async storedMessages(room) {
    const all = [];
    let after = 0;
    for (;;) {
      const page = await this.api("GET", `/rooms/${room}/messages?after_seq=${after}&limit=500`);
      all.push(...page.items);
      if (!page.has_more || page.items.length === 0) return all;
      after = page.items[page.items.length - 1].seq;
    }
  }
}
