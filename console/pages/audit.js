// Audit log: every change made through the admin API, newest first
// (GET /api/v1/audit), filtered by action, by the acting token and by target, paged.

import { api, query } from "../lib/api.js";
import { field, fill, fmtTime, h, Pager, select, table } from "../lib/dom.js";

/** The actions the API records, from its own OpenAPI document (the AuditAction enum). */
async function auditActions(signal) {
  try {
    const res = await fetch("/api/v1/openapi.json", { signal });
    return (await res.json()).components.schemas.AuditAction.enum ?? [];
  } catch {
    return [];
  }
}

export async function mount(root, _params, { signal }) {
  const action = select("action", [["", "any"], ...(await auditActions(signal))], "");
  const actor = h("input", { type: "text", name: "actor", placeholder: "token id", autocomplete: "off" });
  const target = h("input", { type: "text", name: "target", autocomplete: "off" });
  const filters = h("form", { class: "filters", role: "search", "aria-label": "Filter the audit log" }, field("Action", action), field("Actor (token id)", actor), field("Target", target));
  const list = h("div");
  const pager = new Pager("Audit log", () => load());
  fill(root, h("h1", {}, "Audit log"), filters, list, pager.el);

  let timer;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => (pager.reset(), load()), 250);
  };
  action.addEventListener("change", changed);
  for (const c of [actor, target]) c.addEventListener("input", changed);
  filters.addEventListener("submit", (ev) => (ev.preventDefault(), changed()));

  async function load() {
    const params = { action: action.value, actor: actor.value.trim(), target: target.value.trim(), limit: 50, cursor: pager.cursor };
    const page = await api("GET", `/audit${query(params)}`, undefined, { signal });
    const rows = page.items.map((e) => [
      fmtTime(e.at),
      h("span", { title: e.actor.id }, `${e.actor.name} (${e.actor.id})`),
      h("code", {}, e.action),
      e.target,
      h("code", { class: "detail" }, JSON.stringify(e.detail)),
    ]);
    fill(list, table("Audit entries", ["When", "Actor", "Action", "Target", "Detail"], rows, { empty: "No entry matches." }));
    pager.update(page.next_cursor);
  }

  await load();
  return { refresh: load, dispose: () => clearTimeout(timer) };
}
