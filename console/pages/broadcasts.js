// Broadcasts: compose one (rooms, a tag, or all; priority) with POST /api/v1/broadcasts,
// and the history, newest first (GET /api/v1/broadcasts), refreshed every 2 s. A job
// opens on its own page (broadcast.js) with its live progress.

import { api, query } from "../lib/api.js";
import { clearFormErrors, field, fill, fmtNum, fmtTime, h, listOf, Pager, select, showFormError, table } from "../lib/dom.js";

/** The `rooms` target of a broadcast or schedule body from the target controls. */
export function targetControls(initial) {
  const kind = select("target", [["rooms", "These rooms"], ["tag", "Rooms with a tag"], ["all", "All rooms"]], targetKind(initial));
  const rooms = h("input", { type: "text", name: "rooms", autocomplete: "off", value: Array.isArray(initial) ? initial.join(", ") : "" });
  const tag = h("input", { type: "text", name: "tag", autocomplete: "off", value: initial?.tag ?? "" });
  const roomsField = field("Room ids", rooms, "comma-separated");
  const tagField = field("Tag", tag);
  const sync = () => {
    roomsField.hidden = kind.value !== "rooms";
    tagField.hidden = kind.value !== "tag";
  };
  kind.addEventListener("change", sync);
  sync();
  return {
    els: [field("Target", kind), roomsField, tagField],
    value() {
      if (kind.value === "all") return "all";
      if (kind.value === "tag") return { tag: tag.value.trim() };
      return listOf(rooms.value, /,/);
    },
  };
}

function targetKind(t) {
  if (t === "all") return "all";
  if (t && typeof t === "object" && !Array.isArray(t)) return "tag";
  return "rooms";
}

export function describeTarget(t) {
  if (t === "all") return "all rooms";
  if (Array.isArray(t)) return t.length > 3 ? `${t.slice(0, 3).join(", ")} and ${t.length - 3} more` : t.join(", ");
  if (t?.tag !== undefined) return `tag ${t.tag}`;
  return JSON.stringify(t);
}

export function progressBar(counts) {
  const done = counts.delivered + counts.failed + counts.cancelled;
  const pct = counts.total ? Math.round((100 * done) / counts.total) : 100;
  return h(
    "span",
    { class: "progress" },
    h("progress", { max: 100, value: pct, "aria-label": "Progress" }),
    ` ${pct}% (${fmtNum(counts.delivered)} delivered, ${fmtNum(counts.failed)} failed, ${fmtNum(counts.cancelled)} cancelled, ${fmtNum(counts.pending)} pending of ${fmtNum(counts.total)})`,
  );
}

export async function mount(root, _params, { signal }) {
  const text = h("textarea", { name: "text", rows: 3, required: true });
  const target = targetControls([]);
  const priority = select("priority", ["high", "normal", "low"], "normal");
  const compose = h(
    "form",
    { class: "settings", "aria-label": "Compose a broadcast" },
    field("Text", text),
    ...target.els,
    field("Priority", priority),
    h("button", { type: "submit" }, "Start broadcast"),
    h("p", { class: "form-error", role: "alert" }),
  );
  compose.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(compose);
    try {
      const job = await api("POST", "/broadcasts", { text: text.value, rooms: target.value(), priority: priority.value }, { signal });
      location.hash = `#/broadcasts/${encodeURIComponent(job.id)}`;
    } catch (err) {
      showFormError(compose, err);
    }
  });

  const list = h("div");
  const pager = new Pager("Broadcasts", () => load());
  fill(root, h("h1", {}, "Broadcasts"), h("section", { "aria-labelledby": "compose-h" }, h("h2", { id: "compose-h" }, "Compose"), compose), h("h2", {}, "History"), list, pager.el);

  async function load() {
    const page = await api("GET", `/broadcasts${query({ limit: 25, cursor: pager.cursor })}`, undefined, { signal });
    const rows = page.items.map((b) => [
      h("a", { href: `#/broadcasts/${encodeURIComponent(b.id)}` }, b.id),
      b.text.length > 60 ? `${b.text.slice(0, 60)}…` : b.text,
      describeTarget(b.target),
      b.priority,
      b.status,
      progressBar(b.counts),
      fmtTime(b.created_at),
    ]);
    fill(list, table("Broadcast history", ["Id", "Text", "Target", "Priority", "Status", "Progress", "Created"], rows, { empty: "No broadcast yet." }));
    pager.update(page.next_cursor);
  }

  await load();
  return { refresh: load };
}
