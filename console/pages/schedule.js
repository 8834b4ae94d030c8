// One schedule: edit it (PATCH /api/v1/schedules/{id}, the same form as for a new one,
// with the next fire times), enable or disable it, delete it, and its recent fires and
// skips (GET /api/v1/schedules/{id} `recent`), refreshed every 2 s.

import { api } from "../lib/api.js";
import { confirmDialog, fill, fmtTime, h, notice, table } from "../lib/dom.js";
import { inZone, scheduleForm } from "./schedules.js";

export async function mount(root, [id], { signal }) {
  const path = `/schedules/${encodeURIComponent(id)}`;
  let s = await api("GET", path, undefined, { signal });
  const note = notice();
  const state = h("p", { class: "meta" });
  const toggle = h("button", { type: "button" });
  const del = h("button", { type: "button", class: "danger" }, "Delete schedule");
  const recent = h("div");
  const form = scheduleForm(
    s,
    async (body) => {
      s = await api("PATCH", path, body, { signal });
      note.ok("Schedule saved.");
      draw();
    },
    "Save schedule",
  );
  fill(root, h("p", {}, h("a", { href: "#/schedules" }, "← Schedules")), h("h1", {}, `Schedule ${s.id}`), state, h("div", { class: "actions" }, toggle, del), note.el, form, h("h2", {}, "Recent fires"), recent);

  function draw() {
    state.textContent = `${s.enabled ? "Enabled" : "Disabled"} · next run ${s.next_run_at ? inZone(s.next_run_at, s.timezone) : "—"} · last run ${fmtTime(s.last_run_at)}`;
    toggle.textContent = s.enabled ? "Disable" : "Enable";
    const rows = (s.recent ?? []).map((f) => [
      fmtTime(f.due_at),
      fmtTime(f.handled_at),
      f.outcome,
      f.reason ?? "—",
      f.broadcast_id ? h("a", { href: `#/broadcasts/${encodeURIComponent(f.broadcast_id)}` }, f.broadcast_id) : "—",
    ]);
    fill(recent, table("Recent fires and skips", ["Due", "Handled", "Outcome", "Reason", "Broadcast"], rows, { empty: "Not fired yet." }));
  }

  toggle.addEventListener("click", async () => {
    try {
      s = { ...s, ...(await api("PATCH", path, { enabled: !s.enabled }, { signal })) };
      note.ok(s.enabled ? "Enabled." : "Disabled.");
      draw();
    } catch (err) {
      note.error(err);
    }
  });
  del.addEventListener("click", async () => {
    if (!(await confirmDialog({ title: `Delete schedule ${s.id}?`, message: "It fires no more; the broadcasts it started stay.", confirmLabel: "Delete schedule" }))) return;
    try {
      await api("DELETE", path, undefined, { signal });
      location.hash = "#/schedules";
    } catch (err) {
      note.error(err);
    }
  });

  draw();
  return {
    async refresh() {
      s = await api("GET", path, undefined, { signal });
      draw();
    },
  };
}
