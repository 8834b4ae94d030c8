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
/** The commands of one client. */
export class CommandRegistry {
    host;
    reportError;
    entries = new Map();
    joinedRooms = new Set();
    constructor(host, reportError) {
        this.host = host;
        this.reportError = reportError;
        host.on("joined", (event) => {
            this.joinedRooms.add(event.room);
            for (const entry of this.entries.values())
                this.register(entry, event.room);
        });
    }
    /** Adds (or replaces) command `name`; returns a function that stops handling it. */
    add(name, options, handler) {
        const key = name.toLowerCase();
        const entry = { name: key, options, handler };
        this.entries.set(key, entry);
        for (const room of this.joinedRooms)
            this.register(entry, room);
        return () => {
            if (this.entries.get(key) === entry)
                this.entries.delete(key);
        };
    }
    /** Runs the handler of `event.name`, if this client has one. */
    dispatch(event) {
        const entry = this.entries.get(String(event.name).toLowerCase());
        if (!entry || !this.applies(entry, event.room))
            return;
        let answers = 0;
        const reply = (text) => {
            answers += 1;
            return this.host.send(event.room, text, {
                replyTo: event.invocation,
                clientId: `${event.invocation}.${answers}`.slice(0, 128),
            });
        };
        const ctx = {
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
                if (typeof result === "string" && result.length > 0)
                    await reply(result);
            }
            catch (err) {
                this.reportError("handler", `!${entry.name}: ${err?.message ?? String(err)}`);
            }
        })();
    }
    applies(entry, room) {
        return entry.options.rooms === undefined || entry.options.rooms.includes(room);
    }
    register(entry, room) {
        if (!this.applies(entry, room))
            return;
        this.host
            .registerCommand(room, entry.name, entry.options.description, entry.options.minRole)
            .catch((err) => {
            // A closed client or a left room rejects quietly; a refusal is reported.
            const code = err.errorCode;
            if (typeof code === "string" && code !== "not_joined") {
                this.reportError(code, `registering !${entry.name} in ${room}: ${err.message}`);
            }
        });
    }
}
