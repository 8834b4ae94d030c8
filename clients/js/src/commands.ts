/**
 * Bot command helpers: `client.command(name, options, handler)`.
 *
 * The registry owns the bot's commands: it registers each one (`register_command`)
 * in every room the client joins — and again after every rejoin, since a bot's
 * registrations end with its connection (docs/PROTOCOL.md, Bots) — and runs the
 * handler for each `command` frame, sending its answer as a `send` with `reply_to` =
 * the invocation id and a `client_id` derived from the invocation, so an answer
 * resent after a reconnect is stored once.
 */

import type { Ack, CommandEvent, JoinedEvent, RegisteredEvent, UserRef } from "./types.js";

/** Roles that gate commands, lowest first. */
export type Role = "member" | "moderator" | "admin" | "owner";

/** Options of a command. */
export interface CommandOptions {
  /** Shown by `!help` (at most 200 characters). */
  description?: string;
  /** The lowest role that may invoke it (default `member`). */
  minRole?: Role;
  /** Register only in these rooms (default: every room the client joins). */
  rooms?: string[];
}

/** What a handler gets for one invocation. */
export interface CommandContext {
  room: string;
  /** The invocation id (the answer's `reply_to`). */
  invocation: string;
  name: string;
  /** The text after `!name`, trimmed. */
  args: string;
  from: UserRef;
  /** The seq of the invoking message. */
  seq: number;
  /** Sends an answer now (several are allowed within `commands.timeout_ms`). */
  reply(text: string): Promise<Ack>;
}

/** A command handler: a returned non-empty string is sent as the answer. */
export type CommandHandler = (ctx: CommandContext) => string | void | undefined | Promise<string | void | undefined>;

/** The part of the client the registry uses (its public API). */
export interface CommandHost {
  on(type: "joined", listener: (event: JoinedEvent) => void): () => void;
  registerCommand(room: string, name: string, description?: string, minRole?: string): Promise<RegisteredEvent>;
  send(room: string, text: string, options?: { clientId?: string; replyTo?: string }): Promise<Ack>;
}

interface Entry {
  name: string;
  options: CommandOptions;
  handler: CommandHandler;
}

/** The commands of one client. */
export class CommandRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly joinedRooms = new Set<string>();

  constructor(
    private readonly host: CommandHost,
    private readonly reportError: (code: string, message: string) => void,
  ) {
    host.on("joined", (event) => {
      this.joinedRooms.add(event.room);
      for (const entry of this.entries.values()) this.register(entry, event.room);
    });
  }

  /** Adds (or replaces) command `name`; returns a function that stops handling it. */
  add(name: string, options: CommandOptions, handler: CommandHandler): () => void {
    const key = name.toLowerCase();
    const entry: Entry = { name: key, options, handler };
    this.entries.set(key, entry);
    for (const room of this.joinedRooms) this.register(entry, room);
    return () => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    };
  }

  /** Runs the handler of `event.name`, if this client has one. */
  dispatch(event: CommandEvent): void {
    const entry = this.entries.get(String(event.name).toLowerCase());
    if (!entry || !this.applies(entry, event.room)) return;
    let answers = 0;
    const reply = (text: string): Promise<Ack> => {
      answers += 1;
      return this.host.send(event.room, text, {
        replyTo: event.invocation,
        clientId: `${event.invocation}.${answers}`.slice(0, 128),
      });
    };
    const ctx: CommandContext = {
      room: event.room,
      invocation: event.invocation,
      name: event.name,
      args: event.args ?? "",
      from: event.from,
      seq: event.seq,
      reply,
    };
    void (async () => {
      try {
        const result = await entry.handler(ctx);
        if (typeof result === "string" && result.length > 0) await reply(result);
      } catch (err) {
        this.reportError("handler", `!${entry.name}: ${(err as Error)?.message ?? String(err)}`);
      }
    })();
  }

  private applies(entry: Entry, room: string): boolean {
    return entry.options.rooms === undefined || entry.options.rooms.includes(room);
  }

  private register(entry: Entry, room: string): void {
    if (!this.applies(entry, room)) return;
    this.host
      .registerCommand(room, entry.name, entry.options.description, entry.options.minRole)
      .catch((err: unknown) => {
        // A closed client or a left room rejects quietly; a refusal is reported.
        const code = (err as { errorCode?: unknown }).errorCode;
        if (typeof code === "string" && code !== "not_joined") {
          this.reportError(code, `registering !${entry.name} in ${room}: ${(err as Error).message}`);
        }
      });
  }
}
