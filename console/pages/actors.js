// Actors: the supervision tree from GET /api/v1/actors, every actor with its mailbox
// depth/capacity, handled count, wait and handle p50/p99 and restarts; filter by kind,
// sort any column; or the server's top-N view (`?top=N&sort=depth|wait|handled`), the
// one to use with many thousands of sessions.

import { api, query } from "../lib/api.js";
import { field, fill, fmtAgo, fmtNum, fmtUs, h, select, table } from "../lib/dom.js";

const COLUMNS = [
  ["tree", "Supervision tree"],
  ["depth", "Mailbox depth"],
  ["wait", "Wait p99"],
  ["handle", "Handle p99"],
  ["handled", "Handled"],
  ["restarts", "Restarts"],
];
const KEY = {
  depth: (a) => a.mailbox.depth,
  wait: (a) => a.wait_us?.p99 ?? -1,
  handle: (a) => a.handle_us?.p99 ?? -1,
  handled: (a) => a.handled,
  restarts: (a) => a.restarts,
};

/** The tree as rows in depth-first order, each with its level. */
function flatten(nodes, level = 0, out = []) {
  for (const n of nodes) {
    out.push({ ...n, level });
    flatten(n.children ?? [], level + 1, out);
  }
  return out;
}

export async function mount(root, _params, { signal }) {
  const view = select("view", [["tree", "Whole tree"], ["top", "Top N (server-side)"]], "tree");
  const kind = select("kind", [["", "all kinds"]], "");
  const sort = select("sort", COLUMNS, "tree");
  const topN = h("input", { type: "number", name: "top", min: 1, max: 1000, value: 20 });
  const controls = h("form", { class: "filters", "aria-label": "Actor view" }, field("View", view), field("Kind", kind), field("Sort by", sort), field("Top N", topN));
  const list = h("div");
  fill(root, h("h1", {}, "Actors"), controls, list);
  controls.addEventListener("submit", (ev) => ev.preventDefault());
  for (const c of [view, kind, sort, topN]) c.addEventListener("change", () => load().catch(() => {}));
  const kinds = new Set();

  async function load() {
    let rows;
    if (view.value === "top") {
      const serverSort = ["depth", "wait", "handled"].includes(sort.value) ? sort.value : "depth";
      const answer = await api("GET", `/actors${query({ top: topN.value || 20, sort: serverSort })}`, undefined, { signal });
      rows = answer.items.map((a) => ({ ...a, level: 0 }));
    } else {
      const answer = await api("GET", "/actors", undefined, { signal });
      rows = flatten(answer.items ?? [answer]); // the tree: its root node
    }
    for (const r of rows) {
      if (!kinds.has(r.kind)) {
        kinds.add(r.kind);
        kind.append(h("option", { value: r.kind }, r.kind));
      }
    }
    if (kind.value) rows = rows.filter((r) => r.kind === kind.value);
    if (sort.value !== "tree") {
      const key = KEY[sort.value];
      rows = [...rows].sort((a, b) => key(b) - key(a)).map((r) => ({ ...r, level: 0 }));
    }
    const cells = rows.map((a) => ({
      attrs: { dataset: { actor: `${a.kind}:${a.id}` } },
      cells: [
        h("span", { class: "tree-label", dataset: { level: Math.min(a.level, 6) } }, a.kind === "room" ? h("a", { href: `#/rooms/${encodeURIComponent(a.id)}` }, `room ${a.id}`) : `${a.kind} ${a.id}`),
        a.status,
        `${fmtNum(a.mailbox.depth)} / ${fmtNum(a.mailbox.capacity)} (max ${fmtNum(a.mailbox.max_depth)})`,
        fmtNum(a.handled),
        `${fmtUs(a.wait_us?.p50)} / ${fmtUs(a.wait_us?.p99)}`,
        `${fmtUs(a.handle_us?.p50)} / ${fmtUs(a.handle_us?.p99)}`,
        h("span", { class: "restarts" }, fmtNum(a.restarts)),
        a.last_restart_at ? fmtAgo(a.last_restart_at) : "—",
      ],
    }));
    const headers = ["Actor", "Status", "Mailbox depth / capacity", "Handled", "Wait p50 / p99", "Handle p50 / p99", "Restarts", "Last restart"];
    fill(list, table(`${rows.length} actors`, headers, cells, { empty: "No actor matches." }));
  }

  await load();
  return { refresh: load };
}
