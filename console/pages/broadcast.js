// One broadcast job: its progress live from GET /api/v1/broadcasts/{id}/events (the
// SSE stream: `progress`, `room`, then `done`), the per-room result table, and
// cancelling it (DELETE /api/v1/broadcasts/{id}).

import { api, readEvents } from "../lib/api.js";
import { fill, fmtNum, fmtTime, h, notice, table } from "../lib/dom.js";
import { describeTarget, progressBar } from "./broadcasts.js";

export async function mount(root, [id], { signal }) {
  const path = `/broadcasts/${encodeURIComponent(id)}`;
  let job = await api("GET", path, undefined, { signal });
  const rooms = new Map(job.rooms.map((r) => [r.room, r]));
  const facts = h("dl", { class: "facts" });
  const progress = h("div", { class: "job-progress", role: "status", "aria-live": "polite" });
  const cancel = h("button", { type: "button", class: "danger" }, "Cancel broadcast");
  const note = notice();
  const list = h("div");
  fill(root, h("p", {}, h("a", { href: "#/broadcasts" }, "← Broadcasts")), h("h1", {}, `Broadcast ${job.id}`), facts, progress, h("div", { class: "actions" }, cancel), note.el, list);

  let drawQueued = false;
  function draw() {
    drawQueued = false;
    const f = [
      ["Status", job.status],
      ["Text", job.text],
      ["Target", describeTarget(job.target)],
      ["Priority", job.priority],
      ["Created", `${fmtTime(job.created_at)} by ${job.created_by}`],
      ["Finished", fmtTime(job.finished_at)],
    ];
    if (job.report) f.push(["Duration", `${fmtNum(job.report.duration_ms)} ms`]);
    fill(facts, f.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
    fill(progress, progressBar(job.counts));
    cancel.hidden = !["pending", "running"].includes(job.status);
    const rows = [...rooms.values()].map((r) => ({
      attrs: { dataset: { room: r.room, status: r.status } },
      cells: [h("a", { href: `#/rooms/${encodeURIComponent(r.room)}` }, r.room), r.status, fmtNum(r.attempts), r.seq ?? "—", r.last_error ?? "—"],
    }));
    fill(list, table(`Rooms (${rooms.size})`, ["Room", "Result", "Attempts", "Seq", "Last error"], rows, { empty: "No target room." }));
  }
  // Many `room` events arrive at once for a big job: draw once per frame.
  const redraw = () => {
    if (!drawQueued) {
      drawQueued = true;
      requestAnimationFrame(draw);
    }
  };

  cancel.addEventListener("click", async () => {
    try {
      const answer = await api("DELETE", path, undefined, { signal });
      job = { ...job, ...answer };
      note.ok("Cancelled: rooms not reached yet are left out.");
      redraw();
    } catch (err) {
      note.error(err);
    }
  });

  async function follow() {
    while (!signal.aborted && !["done", "cancelled", "failed"].includes(job.status)) {
      try {
        await readEvents(`${path}/events`, ({ event, data }) => {
          if (event === "progress") job = { ...job, status: data.status, counts: data.counts };
          else if (event === "room") rooms.set(data.room, data);
          else if (event === "done") job = { ...job, ...data };
          redraw();
        }, { signal });
        // The stream ended after `done`: the final table from the job itself.
        job = await api("GET", path, undefined, { signal });
        for (const r of job.rooms) rooms.set(r.room, r);
        redraw();
      } catch (err) {
        if (err.name === "AbortError") return;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  draw();
  follow();
}
