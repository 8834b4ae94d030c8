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
    send(room: string, text: string, options?: {
        clientId?: string;
        replyTo?: string;
    }): Promise<Ack>;
}
/** The commands of one client. */
export declare class CommandRegistry {
    private readonly host;
    private readonly reportError;
    private readonly entries;
    private readonly joinedRooms;
    constructor(host: CommandHost, reportError: (code: string, message: string) => void);
    /** Adds (or replaces) command `name`; returns a function that stops handling it. */
    add(name: string, options: CommandOptions, handler: CommandHandler): () => void;
    /** Runs the handler of `event.name`, if this client has one. */
    dispatch(event: CommandEvent): void;
    private applies;
    private register;
}
