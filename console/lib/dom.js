// Small DOM helpers shared by the pages: elements built with `h()` (text is always
// set as text, never parsed as HTML, so a message can't inject markup), formatting,
// labelled form fields, tables, the cursor pager, and the confirmation dialog.

/** `h("a", {href: "#/x", class: "c"}, "text", child…)`; `on…` attributes add listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export function fmtTime(t) {
  if (!t) return "—";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
}

export function fmtAgo(t) {
  if (!t) return "—";
  const s = Math.round((Date.now() - new Date(t).getTime()) / 1000);
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return fmtTime(t);
}

export function fmtNum(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

/** Microseconds, shown in µs or ms. */
export function fmtUs(us) {
  if (us === null || us === undefined) return "—";
  return us >= 1000 ? `${fmtNum(us / 1000, 1)} ms` : `${fmtNum(us, 0)} µs`;
}

let fieldIds = 0;

/**
 * A labelled control: `field("Name", h("input", {name: "name"}))` gives a wrapper with
 * a <label for>, the control, and an error slot the form fills next to the field.
 */
export function field(label, control, hint) {
  control.id ||= `f${++fieldIds}`;
  const error = h("span", { class: "field-error", id: `${control.id}-error`, role: "alert" });
  control.setAttribute("aria-describedby", error.id);
  return h(
    "div",
    { class: "field", dataset: { field: control.name ?? "" } },
    h("label", { for: control.id }, label),
    control,
    hint ? h("small", { class: "hint" }, hint) : null,
    error,
  );
}

/**
 * Shows an API error on a form: next to the field its message names (the API's
 * messages name the offending field, e.g. "max_members must be at least 1"), else in
 * the form's own error line.
 */
export function showFormError(form, err) {
  clearFormErrors(form);
  const message = err?.message ?? String(err);
  const fields = [...form.querySelectorAll(".field[data-field]")].filter((f) => f.dataset.field);
  // Longest names first, so "spam_window_secs" wins over "window_secs".
  fields.sort((a, b) => b.dataset.field.length - a.dataset.field.length);
  const named = fields.find((f) => mentions(message, f.dataset.field));
  if (named) {
    named.querySelector(".field-error").textContent = message;
    named.classList.add("invalid");
    named.querySelector("input,select,textarea")?.setAttribute("aria-invalid", "true");
  }
  const general = form.querySelector(".form-error");
  if (general && !named) general.textContent = message;
}

function mentions(message, name) {
  const key = name.split(".").pop();
  return new RegExp(`(^|[^a-z_])${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([^a-z_]|$)`).test(message);
}

export function clearFormErrors(form) {
  for (const e of form.querySelectorAll(".field-error, .form-error")) e.textContent = "";
  for (const f of form.querySelectorAll(".field.invalid")) f.classList.remove("invalid");
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
}

/**
 * A table with a caption and a header row. Each row is an array of cells (a node or
 * text each) or `{attrs, cells}`.
 */
export function table(caption, headers, rows, { empty = "Nothing here." } = {}) {
  const body = h("tbody");
  if (!rows.length) body.append(h("tr", {}, h("td", { colspan: headers.length, class: "empty" }, empty)));
  for (const r of rows) {
    const { attrs = {}, cells } = Array.isArray(r) ? { cells: r } : r;
    body.append(h("tr", attrs, cells.map((c) => h("td", {}, c))));
  }
  const head = h("thead", {}, h("tr", {}, headers.map((c) => h("th", { scope: "col" }, c))));
  return h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, caption), head, body));
}

/**
 * Cursor paging as the admin API does it (`limit`, `cursor` → `next_cursor`): keeps the
 * cursors of the pages before, so "Previous" goes back. `onChange` reloads the page.
 */
export class Pager {
  constructor(label, onChange) {
    this.stack = [];
    this.cursor = null;
    this.next = null;
    this.onChange = onChange;
    this.prevBtn = h("button", { type: "button", onclick: () => this.back() }, "Previous");
    this.nextBtn = h("button", { type: "button", onclick: () => this.forward() }, "Next");
    this.info = h("span", { class: "page-info" });
    this.el = h("div", { class: "pager", role: "group", "aria-label": `${label} pages` }, this.prevBtn, this.info, this.nextBtn);
    this.update(null);
  }

  /** After a load: the page's `next_cursor`. */
  update(next) {
    this.next = next ?? null;
    this.prevBtn.disabled = this.stack.length === 0;
    this.nextBtn.disabled = !this.next;
    this.info.textContent = `Page ${this.stack.length + 1}`;
  }

  reset() {
    this.stack = [];
    this.cursor = null;
  }

  back() {
    if (!this.stack.length) return;
    this.cursor = this.stack.pop();
    this.onChange();
  }

  forward() {
    if (!this.next) return;
    this.stack.push(this.cursor);
    this.cursor = this.next;
    this.onChange();
  }
}

/**
 * A modal confirmation (a <dialog>): resolves true when the operator confirms. With
 * `typeToConfirm`, the confirm button stays disabled until that text is typed.
 */
export function confirmDialog({ title, message, confirmLabel, typeToConfirm, extra }) {
  return new Promise((resolve) => {
    const input = typeToConfirm
      ? h("input", { type: "text", autocomplete: "off", spellcheck: "false", name: "confirm-text" })
      : null;
    const ok = h("button", { type: "submit", class: "danger", value: "ok", disabled: !!typeToConfirm }, confirmLabel);
    const cancel = h("button", { type: "button" }, "Cancel");
    const dialog = h(
      "dialog",
      { "aria-labelledby": "confirm-title", class: "confirm" },
      h(
        "form",
        { method: "dialog" },
        h("h2", { id: "confirm-title" }, title),
        h("p", {}, message),
        input ? field(`Type ${typeToConfirm} to confirm`, input) : null,
        extra ?? null,
        h("div", { class: "actions" }, cancel, ok),
      ),
    );
    input?.addEventListener("input", () => (ok.disabled = input.value !== typeToConfirm));
    cancel.addEventListener("click", () => dialog.close("cancel"));
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "ok");
    });
    document.body.append(dialog);
    dialog.showModal();
    (input ?? cancel).focus();
  });
}

/** A status line for a page or section (`role="status"`), with an error variant. */
export function notice() {
  const el = h("p", { class: "notice", role: "status", "aria-live": "polite" });
  return {
    el,
    ok(text) {
      el.className = "notice ok";
      el.textContent = text;
    },
    error(err) {
      el.className = "notice error";
      el.textContent = err?.message ?? String(err);
    },
    clear() {
      el.className = "notice";
      el.textContent = "";
    },
  };
}

/** Lines of a textarea or comma list, trimmed, without empties. */
export function listOf(text, sep = /[\n,]/) {
  return String(text ?? "")
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `<select>` with the given options (values or [value, label]). */
export function select(name, options, value) {
  return h(
    "select",
    { name },
    options.map((o) => {
      const [v, l] = Array.isArray(o) ? o : [o, o];
      return h("option", { value: v, selected: v === value }, l);
    }),
  );
}
