// Overview: what is going on now, from GET /api/v1/overview (refreshed every 2 s):
// connections, rooms by status, messages/s and deliveries/s over the last minutes
// (uPlot charts of the server's one-second samples), store commit latency, restarts in
// the last hour, the busiest actors by mailbox depth and by wait, and in cluster mode
// every node.

import uPlot from "../vendor/uplot/uPlot.esm.js";
import { api } from "../lib/api.js";
import { fill, fmtAgo, fmtNum, fmtUs, h, table } from "../lib/dom.js";

function stat(label) {
  const value = h("span", { class: "stat-value" }, "—");
  const sub = h("span", { class: "stat-sub" });
  const el = h("div", { class: "stat", role: "group", "aria-label": label }, h("span", { class: "stat-label" }, label), value, sub);
  return { el, set: (v, s = "") => ((value.textContent = v), (sub.textContent = s)) };
}

function chart(title, series, host) {
  const width = () => Math.max(Math.min(host.clientWidth - 8, 1100), 260);
  const opts = {
    title,
    width: width(),
    height: 180,
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max * 1.1, 1)] } },
    axes: [{}, { size: 60 }],
    series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2, fill: `${stroke}22` }))],
  };
  const plot = new uPlot(opts, [[], ...series.map(() => [])], host);
  const onResize = () => plot.setSize({ width: width(), height: 180 });
  window.addEventListener("resize", onResize);
  return { plot, dispose: () => (window.removeEventListener("resize", onResize), plot.destroy()) };
}

function actorRows(items) {
  return items.map((a) => [
    h("a", { href: a.kind === "room" ? `#/rooms/${encodeURIComponent(a.id)}` : "#/actors" }, `${a.kind} ${a.id}`),
    `${fmtNum(a.mailbox.depth)} / ${fmtNum(a.mailbox.capacity)}`,
    fmtUs(a.wait_us?.p99),
    fmtNum(a.handled),
    fmtNum(a.restarts),
  ]);
}

export async function mount(root, _params, { signal }) {
  const stats = {
    connections: stat("Connections"),
    rooms: stat("Rooms"),
    messages: stat("Messages/s"),
    deliveries: stat("Deliveries/s"),
    commit: stat("Store commit p50 / p99"),
    restarts: stat("Restarts (last hour)"),
  };
  const charts = h("div", { class: "charts" });
  const busy = h("div", { class: "two-col" });
  const nodes = h("div");
  const meta = h("p", { class: "meta" });
  fill(
    root,
    h("h1", {}, "Overview"),
    meta,
    h("div", { class: "stats" }, Object.values(stats).map((s) => s.el)),
    charts,
    busy,
    nodes,
  );
  const rateHost = h("div", { class: "chart" });
  const connHost = h("div", { class: "chart" });
  charts.append(rateHost, connHost);
  const rates = chart("Messages/s and deliveries/s", [["messages/s", "#2563eb"], ["deliveries/s", "#16a34a"]], rateHost);
  const conns = chart("Connections", [["connections", "#9333ea"]], connHost);

  async function refresh() {
    const o = await api("GET", "/overview", undefined, { signal });
    const last = o.series.at(-1);
    meta.textContent = `roomd ${o.version}${o.node ? ` · node ${o.node}` : ""} · up since ${new Date(o.started_at).toLocaleString()}`;
    stats.connections.set(fmtNum(o.connections));
    const r = o.rooms;
    stats.rooms.set(
      fmtNum(r.stored),
      `${fmtNum(r.running)} running · ${fmtNum(r.restarting)} restarting · ${fmtNum(r.quarantined)} quarantined · ${fmtNum(r.stopped)} stopped`,
    );
    stats.messages.set(fmtNum(last?.messages_per_s ?? 0, 1), `${fmtNum(o.messages_total)} in all`);
    stats.deliveries.set(fmtNum(last?.deliveries_per_s ?? 0, 1), `${fmtNum(o.deliveries_total)} in all`);
    stats.commit.set(
      o.store_commit_ms ? `${fmtNum(o.store_commit_ms.p50, 2)} / ${fmtNum(o.store_commit_ms.p99, 2)} ms` : "—",
      "last 60 s",
    );
    stats.restarts.set(fmtNum(o.restarts_last_hour));
    const xs = o.series.map((s) => new Date(s.at).getTime() / 1000);
    rates.plot.setData([xs, o.series.map((s) => s.messages_per_s), o.series.map((s) => s.deliveries_per_s)]);
    conns.plot.setData([xs, o.series.map((s) => s.connections)]);
    const headers = ["Actor", "Mailbox", "Wait p99", "Handled", "Restarts"];
    fill(
      busy,
      table("Busiest actors by mailbox depth", headers, actorRows(o.busiest.by_depth)),
      table("Busiest actors by wait", headers, actorRows(o.busiest.by_wait)),
    );
    if (o.nodes) {
      const rows = o.nodes.map((n) => [
        n.id,
        n.address,
        h("span", { class: n.alive ? "badge ok" : "badge bad" }, n.alive ? "alive" : "gone"),
        fmtNum(n.rooms_owned),
        fmtNum(n.connections),
        fmtAgo(n.last_heartbeat),
      ]);
      fill(nodes, table("Cluster nodes", ["Node", "Address", "State", "Rooms owned", "Connections", "Last heartbeat"], rows));
    } else {
      fill(nodes);
    }
  }

  await refresh();
  return { refresh, dispose: () => (rates.dispose(), conns.dispose()) };
}
