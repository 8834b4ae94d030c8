// Schedules: the list (GET /api/v1/schedules), and the schedule form shared with the
// edit page: cron + time zone with the next 5 fire times in that zone
// (GET /api/v1/schedules/preview, the scheduler's own cron parser) shown before saving.

import { api, query } from "../lib/api.js";
import { clearFormErrors, field, fill, fmtTime, h, Pager, select, showFormError, table } from "../lib/dom.js";
import { describeTarget, targetControls } from "./broadcasts.js";

/** A fire time as the operator reads it in the schedule's zone. */
export function inZone(t, timezone) {
  try {
    const f = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long", timeZone: timezone });
    return f.format(new Date(t));
  } catch {
    return t;
  }
}

/**
 * The schedule form: `initial` a schedule (edit) or null (new); `save(body)` sends it
 * and throws the API's error, shown next to its field.
 */
export function scheduleForm(initial, save, submitLabel) {
  const cron = h("input", { type: "text", name: "cron", required: true, autocomplete: "off", spellcheck: "false", value: initial?.cron ?? "" });
  const timezone = h("input", { type: "text", name: "timezone", autocomplete: "off", spellcheck: "false", value: initial?.timezone ?? "UTC" });
  const target = targetControls(initial?.rooms ?? []);
  const text = h("textarea", { name: "text", rows: 2, required: true });
  text.value = initial?.text ?? "";
  const priority = select("priority", ["high", "normal", "low"], initial?.priority ?? "normal");
  const enabled = h("input", { type: "checkbox", name: "enabled", checked: initial?.enabled ?? true });
  const preview = h("div", { class: "preview", role: "status", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "settings", "aria-label": submitLabel },
    field("Cron", cron, "5 fields (min hour day month weekday) or 6 (seconds first), e.g. 30 9 * * MON-FRI"),
    field("Time zone", timezone, "IANA name, e.g. Europe/Berlin"),
    preview,
    ...target.els,
    field("Text", text),
    field("Priority", priority),
    h("div", { class: "field check" }, h("label", {}, enabled, " Enabled")),
    h("button", { type: "submit" }, submitLabel),
    h("p", { class: "form-error", role: "alert" }),
  );

  let timer;
  let asked = 0;
  async function showPreview() {
    const mine = ++asked;
    if (!cron.value.trim()) {
      fill(preview);
      return;
    }
    const zone = timezone.value.trim() || "UTC";
    try {
      const p = await api("GET", `/schedules/preview${query({ cron: cron.value.trim(), timezone: zone, count: 5 })}`);
      if (mine !== asked) return;
      fill(preview, h("p", {}, `Next 5 fire times (${p.timezone}):`), h("ol", { class: "fire-times" }, p.next.map((t) => h("li", {}, h("time", { datetime: t }, inZone(t, p.timezone))))));
    } catch (err) {
      if (mine === asked) fill(preview, h("p", { class: "error" }, err.message));
    }
  }
  for (const c of [cron, timezone]) {
    c.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(showPreview, 300);
    });
  }
  if (initial) showPreview();

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const body = {
      cron: cron.value.trim(),
      timezone: timezone.value.trim() || "UTC",
      rooms: target.value(),
      text: text.value,
      priority: priority.value,
      enabled: enabled.checked,
    };
    try {
      await save(body);
    } catch (err) {
      showFormError(form, err);
    }
  });
  return form;
}

export async function mount(root, _params, { signal }) {
  const create = scheduleForm(
    null,
    async (body) => {
      const s = await api("POST", "/schedules", body, { signal });
      location.hash = `#/schedules/${encodeURIComponent(s.id)}`;
    },
    "Create schedule",
  );
  const list = h("div");
  const pager = new Pager("Schedules", () => load());
  fill(root, h("h1", {}, "Schedules"), h("details", { class: "panel" }, h("summary", {}, "Create a schedule"), create), list, pager.el);

  async function load() {
    const page = await api("GET", `/schedules${query({ limit: 25, cursor: pager.cursor })}`, undefined, { signal });
    const rows = page.items.map((s) => [
      h("a", { href: `#/schedules/${encodeURIComponent(s.id)}` }, s.id),
      h("code", {}, s.cron),
      s.timezone,
      describeTarget(s.rooms),
      s.enabled ? "enabled" : "disabled",
      s.next_run_at ? inZone(s.next_run_at, s.timezone) : "—",
      fmtTime(s.last_run_at),
    ]);
    fill(list, table("Schedules", ["Id", "Cron", "Time zone", "Rooms", "State", "Next run", "Last run"], rows, { empty: "No schedule yet." }));
    pager.update(page.next_cursor);
  }

  await load();
  return { refresh: load };
}

