// Rooms: the room list as GET /api/v1/rooms pages it (search, tag and status filters,
// sort by id, name, activity or members; the server pages in SQL), refreshed every
// 2 s, and the form that creates a room (POST /api/v1/rooms).

import { api, query } from "../lib/api.js";
import { clearFormErrors, field, fill, fmtNum, h, listOf, notice, Pager, select, showFormError, table } from "../lib/dom.js";

const PAGE = 25;

export function statusBadge(status) {
  const tone = { running: "ok", restarting: "warn", quarantined: "bad", stopped: "idle" }[status] ?? "idle";
  return h("span", { class: `badge ${tone}` }, status);
}

export async function mount(root, _params, { signal }) {
  const q = h("input", { type: "search", name: "q", placeholder: "id or name" });
  const tag = h("input", { type: "text", name: "tag" });
  const status = select("status", [["", "any"], "running", "restarting", "quarantined", "stopped"], "");
  const sort = select("sort", [["id", "id"], ["name", "name"], ["activity", "activity (newest message first)"], ["members", "members (most first)"]], "id");
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter rooms" },
    field("Search", q), field("Tag", tag), field("Status", status), field("Sort by", sort));
  const list = h("div");
  const pager = new Pager("Rooms", () => load());

  const createId = h("input", { type: "text", name: "id", required: true, autocomplete: "off" });
  const createName = h("input", { type: "text", name: "name", autocomplete: "off" });
  const createTags = h("input", { type: "text", name: "tags", autocomplete: "off" });
  const createNote = notice();
  const create = h(
    "form",
    { class: "inline-form", "aria-label": "Create a room" },
    field("Room id", createId, "lowercase letters, digits, - and _ (up to 64)"),
    field("Name", createName),
    field("Tags", createTags, "comma-separated"),
    h("button", { type: "submit" }, "Create room"),
    h("p", { class: "form-error", role: "alert" }),
    createNote.el,
  );
  create.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(create);
    createNote.clear();
    const body = { id: createId.value.trim() };
    if (createName.value.trim()) body.name = createName.value.trim();
    const tags = listOf(createTags.value, /,/);
    if (tags.length) body.tags = tags;
    try {
      const room = await api("POST", "/rooms", body, { signal });
      location.hash = `#/rooms/${encodeURIComponent(room.id)}`;
    } catch (err) {
      showFormError(create, err);
    }
  });

  fill(
    root,
    h("h1", {}, "Rooms"),
    h("details", { class: "panel" }, h("summary", {}, "Create a room"), create),
    filters,
    list,
    pager.el,
  );

  let timer;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => (pager.reset(), load()), 250);
  };
  for (const c of [q, tag]) c.addEventListener("input", changed);
  for (const c of [status, sort]) c.addEventListener("change", changed);
  filters.addEventListener("submit", (ev) => (ev.preventDefault(), changed()));

  async function load() {
    const params = { q: q.value.trim(), tag: tag.value.trim(), status: status.value, sort: sort.value, limit: PAGE, cursor: pager.cursor };
    const page = await api("GET", `/rooms${query(params)}`, undefined, { signal });
    const rows = page.items.map((r) => [
      h("a", { href: `#/rooms/${encodeURIComponent(r.id)}` }, r.id),
      r.name,
      r.tags.join(", "),
      statusBadge(r.status),
      fmtNum(r.members_online),
      fmtNum(r.messages_per_min),
      fmtNum(r.last_seq),
      fmtNum(r.restarts),
    ]);
    fill(list, table("Rooms", ["Id", "Name", "Tags", "Status", "Online", "Msgs/min", "Last seq", "Restarts"], rows, { empty: "No room matches." }));
    pager.update(page.next_cursor);
  }

  await load();
  return { refresh: load, dispose: () => clearTimeout(timer) };
}
