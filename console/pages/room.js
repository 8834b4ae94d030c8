// One room: its live figures and actions (restart or lift a quarantine, delete), its
// messages live (GET /api/v1/rooms/{id}/events: the operator watches without joining,
// so no membership, presence or read position) with history paged upwards, posting as
// the operator, members (role with an optional expiry, kick), bans and mutes, and the
// settings form with the API's validation errors next to the field.

import { api, query, readEvents, Disconnected } from "../lib/api.js";
import {
  clearFormErrors, confirmDialog, field, fill, fmtAgo, fmtNum, fmtTime, h, listOf, notice, Pager, select, showFormError, table,
} from "../lib/dom.js";
import { statusBadge } from "./rooms.js";

const ROLES = ["owner", "admin", "moderator", "member"];
const HISTORY_PAGE = 50;
const MAX_SHOWN = 2000;

export async function mount(root, [roomId], { signal }) {
  const path = `/rooms/${encodeURIComponent(roomId)}`;
  let room = await api("GET", path, undefined, { signal });

  const title = h("h1", {}, room.name);
  const summary = h("dl", { class: "facts" });
  const actionsNote = notice();
  const restartBtn = h("button", { type: "button" });
  const deleteBtn = h("button", { type: "button", class: "danger" }, "Delete room");
  const header = h("section", { "aria-label": "Room" }, title, summary, h("div", { class: "actions" }, restartBtn, deleteBtn), actionsNote.el);

  function showRoom() {
    title.textContent = room.name === room.id ? room.id : `${room.name} (${room.id})`;
    const facts = [
      ["Status", statusBadge(room.status)],
      ["Members online", fmtNum(room.members_online)],
      ["Messages/min", fmtNum(room.messages_per_min)],
      ["Last seq", fmtNum(room.last_seq)],
      ["Restarts", `${fmtNum(room.restarts)}${room.last_restart_at ? ` (last ${fmtAgo(room.last_restart_at)})` : ""}`],
      ["Mailbox", room.mailbox ? `${fmtNum(room.mailbox.depth)} / ${fmtNum(room.mailbox.capacity)}` : "—"],
      ["Tags", room.tags.join(", ") || "—"],
      ["Created", fmtTime(room.created_at)],
    ];
    if (room.owner_node) facts.push(["Owner node", room.owner_node]);
    fill(summary, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    restartBtn.textContent = room.status === "quarantined" ? "Lift quarantine" : "Restart room";
  }

  restartBtn.addEventListener("click", async () => {
    actionsNote.clear();
    try {
      room = await api("POST", `${path}/restart`, undefined, { signal });
      showRoom();
      actionsNote.ok("The room's actor restarted.");
    } catch (err) {
      actionsNote.error(err);
    }
  });
  deleteBtn.addEventListener("click", async () => {
    const purge = h("input", { type: "checkbox", name: "purge" });
    const ok = await confirmDialog({
      title: `Delete room ${room.id}?`,
      message: `Room “${room.name}” (${room.id}) will be deleted: its members are disconnected from it and their memberships removed.`,
      confirmLabel: `Delete ${room.id}`,
      typeToConfirm: room.id,
      extra: h("p", {}, h("label", {}, purge, " Also delete its message history")),
    });
    if (!ok) return;
    try {
      await api("DELETE", `${path}${query({ purge: purge.checked ? "true" : "" })}`, undefined, { signal });
      location.hash = "#/rooms";
    } catch (err) {
      actionsNote.error(err);
    }
  });

  const messages = messagesSection(path, room, signal);
  const members = membersSection(path, signal);
  const restrictions = restrictionsSection(path, signal);
  const settings = settingsSection(path, room, signal, (r) => ((room = r), showRoom()));

  fill(root, h("p", {}, h("a", { href: "#/rooms" }, "← Rooms")), header, messages.el, members.el, restrictions.el, settings.el);
  showRoom();
  await Promise.all([members.load(), restrictions.load()]);
  await messages.start();

  return {
    async refresh() {
      room = await api("GET", path, undefined, { signal });
      showRoom();
      await Promise.all([members.load(), restrictions.load()]);
    },
  };
}

/** The live message stream, history upwards, deleting, and posting as the operator. */
function messagesSection(path, room, signal) {
  const list = h("ol", { class: "messages", "aria-label": "Messages", "aria-live": "polite" });
  const olderBtn = h("button", { type: "button" }, "Load older messages");
  const live = h("span", { class: "badge idle" }, "connecting");
  const text = h("textarea", { name: "text", rows: 2, required: true });
  const postNote = notice();
  const post = h("form", { class: "post", "aria-label": "Post as the operator" }, field("Message", text), h("button", { type: "submit" }, "Post"), postNote.el);
  const el = h("section", { "aria-labelledby": "messages-h" }, h("h2", { id: "messages-h" }, "Messages ", live), olderBtn, list, post);
  const items = new Map(); // seq -> {m, li}
  let oldest = null;
  let newest = null;

  function render(m) {
    const from = m.from ? `${m.from.name}${m.from.kind && m.from.kind !== "user" ? ` (${m.from.kind})` : ""}` : "?";
    const body = m.deleted
      ? h("span", { class: "deleted" }, `deleted by ${m.deleted_by ?? "?"} ${m.deleted_at ? fmtAgo(m.deleted_at) : ""}`)
      : h("span", { class: "text" }, m.text);
    const del = m.deleted
      ? null
      : h("button", { type: "button", class: "small", "aria-label": `Delete message ${m.seq}`, onclick: () => remove(m.seq) }, "Delete");
    return h("li", { dataset: { seq: m.seq } }, h("span", { class: "seq" }, `#${m.seq}`), " ", h("time", { datetime: m.ts }, fmtTime(m.ts)), " ", h("strong", {}, from), " ", body, " ", del);
  }

  function upsert(m, where = "end") {
    const li = render(m);
    const old = items.get(m.seq);
    if (old) old.li.replaceWith(li);
    else if (where === "start") list.prepend(li);
    else list.append(li);
    items.set(m.seq, { m, li });
    oldest = oldest === null ? m.seq : Math.min(oldest, m.seq);
    newest = newest === null ? m.seq : Math.max(newest, m.seq);
    while (items.size > MAX_SHOWN && where === "end") {
      const first = list.firstElementChild;
      items.delete(Number(first.dataset.seq));
      first.remove();
      oldest = Number(list.firstElementChild.dataset.seq);
    }
  }

  async function remove(seq) {
    const ok = await confirmDialog({ title: `Delete message #${seq}?`, message: "Its text is removed for everyone; it keeps its place as “deleted”.", confirmLabel: "Delete message" });
    if (!ok) return;
    try {
      upsert(await api("DELETE", `${path}/messages/${seq}`, undefined, { signal }));
    } catch (err) {
      postNote.error(err);
    }
  }

  async function loadOlder() {
    const page = await api("GET", `${path}/messages${query({ limit: HISTORY_PAGE, before_seq: oldest ?? "" })}`, undefined, { signal });
    for (const m of [...page.items].reverse()) upsert(m, "start");
    olderBtn.hidden = !page.has_more;
    return page;
  }

  olderBtn.addEventListener("click", () => loadOlder().catch((err) => postNote.error(err)));
  post.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(post);
    postNote.clear();
    try {
      await api("POST", `${path}/messages`, { text: text.value }, { signal });
      text.value = "";
    } catch (err) {
      showFormError(post, err);
      postNote.error(err);
    }
  });

  async function follow() {
    // Every stream (re)opens after the newest message shown: nothing missed, nothing twice.
    while (!signal.aborted) {
      try {
        const opened = () => {
          live.className = "badge ok";
          live.textContent = "live";
        };
        await readEvents(`${path}/events${query({ after_seq: newest ?? room.last_seq })}`, (ev) => {
          if (ev.event === "message") upsert(ev.data);
          else if (ev.event === "message_deleted") {
            const shown = items.get(ev.data.seq);
            if (shown) upsert({ ...shown.m, ...ev.data, text: "", deleted: true });
          } else if (ev.event === "room_deleted") {
            live.className = "badge bad";
            live.textContent = "room deleted";
          }
        }, { signal, onOpen: opened });
        if (live.textContent === "room deleted") return;
      } catch (err) {
        if (err.name === "AbortError") return;
        live.className = "badge warn";
        live.textContent = err instanceof Disconnected ? "reconnecting" : err.message;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  return {
    el,
    async start() {
      await loadOlder();
      if (newest === null) newest = room.last_seq;
      follow();
    },
  };
}

/** Members with role, expiry, presence and last seen; change a role, kick, grant. */
function membersSection(path, signal) {
  const note = notice();
  const list = h("div");
  const pager = new Pager("Members", () => load());
  const user = h("input", { type: "text", name: "user_id", required: true, autocomplete: "off" });
  const role = select("role", ROLES, "member");
  const expires = h("input", { type: "datetime-local", name: "expires_at" });
  const grant = h(
    "form",
    { class: "inline-form", "aria-label": "Grant a role" },
    field("User id", user),
    field("Role", role),
    field("Expires (optional)", expires),
    h("button", { type: "submit" }, "Grant role"),
    h("p", { class: "form-error", role: "alert" }),
  );
  const el = h("section", { "aria-labelledby": "members-h" }, h("h2", { id: "members-h" }, "Members"), list, pager.el, grant, note.el);

  async function setRole(userId, roleValue, expiresValue, form) {
    const body = { role: roleValue };
    if (expiresValue) body.expires_at = new Date(expiresValue).toISOString();
    try {
      await api("PUT", `${path}/members/${encodeURIComponent(userId)}`, body, { signal });
      note.ok(`${userId} is now ${roleValue}${body.expires_at ? ` until ${fmtTime(body.expires_at)}` : ""}.`);
      await load(true);
      return true;
    } catch (err) {
      if (form) showFormError(form, err);
      note.error(err);
      return false;
    }
  }

  grant.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(grant);
    if (await setRole(user.value.trim(), role.value, expires.value, grant)) grant.reset();
  });

  async function kick(m) {
    const ok = await confirmDialog({ title: `Kick ${m.name}?`, message: `${m.name} (${m.id}) leaves the room and may join again (a ban keeps them out).`, confirmLabel: `Kick ${m.id}` });
    if (!ok) return;
    try {
      await api("DELETE", `${path}/members/${encodeURIComponent(m.id)}`, undefined, { signal });
      note.ok(`${m.id} was kicked.`);
      await load(true);
    } catch (err) {
      note.error(err);
    }
  }

  async function load(force = false) {
    // A refresh does not replace the rows while the operator is editing one.
    if (!force && list.contains(document.activeElement)) return;
    const page = await api("GET", `${path}/members${query({ limit: 50, cursor: pager.cursor })}`, undefined, { signal });
    const rows = page.items.map((m) => {
      const r = select("role", ROLES, m.role);
      r.setAttribute("aria-label", `Role of ${m.id}`);
      const x = h("input", { type: "datetime-local", "aria-label": `Role expiry of ${m.id}` });
      const apply = h("button", { type: "button", class: "small", "aria-label": `Apply role to ${m.id}`, onclick: () => setRole(m.id, r.value, x.value) }, "Apply");
      const kickBtn = h("button", { type: "button", class: "small danger", "aria-label": `Kick ${m.id}`, onclick: () => kick(m) }, "Kick");
      return {
        attrs: { dataset: { member: m.id } },
        cells: [
          m.id,
          m.name,
          m.kind,
          h("span", { class: "role" }, m.role),
          m.expires_at ? fmtTime(m.expires_at) : "—",
          h("span", { class: m.online ? "badge ok" : "badge idle" }, m.online ? "online" : "offline"),
          fmtAgo(m.last_seen),
          h("span", { class: "row-actions" }, r, x, apply, kickBtn),
        ],
      };
    });
    fill(list, table("Members", ["Id", "Name", "Kind", "Role", "Role expires", "Presence", "Last seen", "Change"], rows, { empty: "No members." }));
    pager.update(page.next_cursor);
  }

  return { el, load };
}

/** Bans and mutes in force: list, lift, impose. */
function restrictionsSection(path, signal) {
  const note = notice();
  const lists = h("div", { class: "two-col" });
  const user = h("input", { type: "text", name: "user_id", required: true, autocomplete: "off" });
  const kind = select("kind", [["bans", "ban"], ["mutes", "mute"]], "bans");
  const duration = h("input", { type: "text", name: "duration", placeholder: "e.g. 10m, 2h, 7d" });
  const reason = h("input", { type: "text", name: "reason" });
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Ban or mute a user" },
    field("User id", user),
    field("Restriction", kind),
    field("Duration (empty: until lifted)", duration),
    field("Reason", reason),
    h("button", { type: "submit" }, "Apply restriction"),
    h("p", { class: "form-error", role: "alert" }),
  );
  const el = h("section", { "aria-labelledby": "restrictions-h" }, h("h2", { id: "restrictions-h" }, "Bans and mutes"), lists, form, note.el);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const body = {};
    if (duration.value.trim()) body.duration = duration.value.trim();
    if (reason.value.trim()) body.reason = reason.value.trim();
    try {
      await api("PUT", `${path}/${kind.value}/${encodeURIComponent(user.value.trim())}`, body, { signal });
      note.ok(`${user.value.trim()}: ${kind.value === "bans" ? "banned" : "muted"}.`);
      form.reset();
      await load();
    } catch (err) {
      showFormError(form, err);
    }
  });

  async function lift(which, userId) {
    try {
      await api("DELETE", `${path}/${which}/${encodeURIComponent(userId)}`, undefined, { signal });
      note.ok(`${userId}: ${which === "bans" ? "ban" : "mute"} lifted.`);
      await load();
    } catch (err) {
      note.error(err);
    }
  }

  async function load() {
    const [bans, mutes] = await Promise.all(
      ["bans", "mutes"].map((w) => api("GET", `${path}/${w}${query({ limit: 100 })}`, undefined, { signal })),
    );
    const rows = (which, page) =>
      page.items.map((b) => [
        b.user_id,
        b.expires_at ? fmtTime(b.expires_at) : "until lifted",
        b.reason ?? "—",
        h("button", { type: "button", class: "small", "aria-label": `Lift ${which === "bans" ? "ban" : "mute"} of ${b.user_id}`, onclick: () => lift(which, b.user_id) }, "Lift"),
      ]);
    const headers = ["User", "Until", "Reason", ""];
    fill(lists, table("Bans", headers, rows("bans", bans), { empty: "No bans." }), table("Mutes", headers, rows("mutes", mutes), { empty: "No mutes." }));
  }

  return { el, load };
}

/** The settings form: PATCH /rooms/{id}, the API's errors next to the field. */
function settingsSection(path, room, signal, onSaved) {
  const s = room.settings;
  const name = h("input", { type: "text", name: "name", value: room.name });
  const tags = h("input", { type: "text", name: "tags", value: room.tags.join(", ") });
  const welcome = h("textarea", { name: "welcome_template", rows: 2 });
  welcome.value = s.welcome_template ?? "";
  const rules = h("textarea", { name: "rules", rows: 3 });
  rules.value = s.rules ?? "";
  const banned = h("textarea", { name: "banned_words", rows: 2 });
  banned.value = (s.banned_words ?? []).join("\n");
  const maxMembers = h("input", { type: "number", name: "max_members", value: s.max_members ?? "" });
  const retention = h("input", { type: "number", name: "retention_days", min: 0, value: s.retention_days ?? "" });
  const maxRepeats = h("input", { type: "number", name: "max_repeats", value: s.spam?.max_repeats ?? "" });
  const windowSecs = h("input", { type: "number", name: "window_secs", value: s.spam?.window_secs ?? "" });
  const note = notice();
  const form = h(
    "form",
    { class: "settings", "aria-label": "Room settings" },
    field("Name", name),
    field("Tags", tags, "comma-separated"),
    field("Welcome template", welcome, "posted at a user's first join; {{name}}, {{room}}, {{member_count}} are filled in"),
    field("Rules", rules),
    field("Banned words", banned, "one per line"),
    field("Max members", maxMembers, "empty: no limit"),
    field("Retention (days)", retention, "messages older than this are deleted; empty: the server's default; 0: keep forever"),
    field("Spam: max repeats", maxRepeats, "of one text within the window; empty: the server's default"),
    field("Spam: window (seconds)", windowSecs),
    h("button", { type: "submit" }, "Save settings"),
    h("p", { class: "form-error", role: "alert" }),
    note.el,
  );
  const el = h("section", { "aria-labelledby": "settings-h" }, h("h2", { id: "settings-h" }, "Settings"), form);
  const numberOrNull = (input) => (input.value.trim() === "" ? null : Number(input.value));
  const values = () => ({
    name: name.value.trim(),
    tags: listOf(tags.value, /,/),
    welcome_template: welcome.value.trim() || null,
    rules: rules.value.trim() || null,
    banned_words: listOf(banned.value, /\n/),
    max_members: numberOrNull(maxMembers),
    retention_days: numberOrNull(retention),
    spam:
      maxRepeats.value.trim() === "" && windowSecs.value.trim() === ""
        ? null
        : { max_repeats: numberOrNull(maxRepeats), window_secs: numberOrNull(windowSecs) },
  });
  let saved = values();
  function changed() {
    const now = values();
    const diff = Object.keys(now).filter((k) => JSON.stringify(now[k]) !== JSON.stringify(saved[k]));
    if (!diff.length) return null;
    const body = {};
    for (const k of diff) {
      if (k === "name" || k === "tags") body[k] = now[k];
      else (body.settings ??= {})[k] = now[k];
    }
    return body;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    note.clear();
    // Only what the operator changed is sent: an untouched empty welcome template
    // stays what it was ("" is no welcome, null the template file).
    const body = changed();
    if (!body) {
      note.ok("Nothing changed.");
      return;
    }
    try {
      onSaved(await api("PATCH", path, body, { signal }));
      saved = values();
      note.ok("Settings saved.");
    } catch (err) {
      showFormError(form, err);
    }
  });
  return { el };
}
