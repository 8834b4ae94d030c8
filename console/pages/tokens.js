// Tokens: create one (POST /api/v1/tokens; its secret is shown this once, with a copy
// button, and is gone when the operator dismisses it or leaves the page), the list of
// live and revoked tokens (never a secret), and revoking one, which closes its
// sessions (DELETE /api/v1/tokens/{id}).

import { api, query } from "../lib/api.js";
import { clearFormErrors, confirmDialog, field, fill, fmtTime, h, listOf, notice, Pager, select, showFormError, table } from "../lib/dom.js";

export async function mount(root, _params, { signal }) {
  const kind = select("kind", ["user", "bot", "admin"], "user");
  const name = h("input", { type: "text", name: "name", required: true, autocomplete: "off" });
  const roles = h("input", { type: "text", name: "roles", autocomplete: "off" });
  const secret = h("div", { class: "secret", role: "status", "aria-live": "polite" });
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Create a token" },
    field("Kind", kind),
    field("Name", name, "the user id of its sessions"),
    field("Roles", roles, "comma-separated, optional"),
    h("button", { type: "submit" }, "Create token"),
    h("p", { class: "form-error", role: "alert" }),
  );
  const note = notice();
  const list = h("div");
  const pager = new Pager("Tokens", () => load());
  fill(root, h("h1", {}, "Tokens"), form, secret, note.el, list, pager.el);

  function showSecret(t) {
    const value = h("input", { type: "text", readonly: true, value: t.token, "aria-label": "New token secret", class: "mono", size: 40 });
    const copied = h("span", { role: "status" });
    const copy = h("button", { type: "button" }, "Copy");
    copy.addEventListener("click", async () => {
      value.select();
      try {
        await navigator.clipboard.writeText(t.token);
        copied.textContent = "Copied.";
      } catch {
        // No clipboard API outside a secure context: the text is selected for Ctrl+C.
        copied.textContent = document.execCommand?.("copy") ? "Copied." : "Selected: press Ctrl+C to copy.";
      }
    });
    const dismiss = h("button", { type: "button", onclick: () => fill(secret) }, "Done");
    fill(secret, h("p", {}, h("strong", {}, `Token ${t.id} (${t.kind} ${t.name}) created.`), " Copy its secret now: it is not shown again."), h("div", { class: "row" }, value, copy, dismiss, copied));
    value.focus();
    value.select();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearFormErrors(form);
    const body = { kind: kind.value, name: name.value.trim() };
    const r = listOf(roles.value, /,/);
    if (r.length) body.roles = r;
    try {
      const t = await api("POST", "/tokens", body, { signal });
      form.reset();
      showSecret(t);
      await load();
    } catch (err) {
      showFormError(form, err);
    }
  });

  async function revoke(t) {
    const ok = await confirmDialog({ title: `Revoke token ${t.id}?`, message: `${t.kind} token “${t.name}” stops working now and its open sessions are closed.`, confirmLabel: "Revoke" });
    if (!ok) return;
    try {
      await api("DELETE", `/tokens/${encodeURIComponent(t.id)}`, undefined, { signal });
      note.ok(`Token ${t.id} revoked; its sessions were closed.`);
      await load();
    } catch (err) {
      note.error(err);
    }
  }

  async function load() {
    const page = await api("GET", `/tokens${query({ limit: 50, cursor: pager.cursor })}`, undefined, { signal });
    const rows = page.items.map((t) => ({
      attrs: { dataset: { token: t.id } },
      cells: [
        h("code", {}, t.id),
        t.kind,
        t.name,
        t.roles.join(", ") || "—",
        fmtTime(t.created_at),
        t.revoked_at ? `revoked ${fmtTime(t.revoked_at)}` : "live",
        t.revoked_at ? "" : h("button", { type: "button", class: "small danger", "aria-label": `Revoke token ${t.id}`, onclick: () => revoke(t) }, "Revoke"),
      ],
    }));
    fill(list, table("Tokens", ["Id", "Kind", "Name", "Roles", "Created", "State", ""], rows, { empty: "No token." }));
    pager.update(page.next_cursor);
  }

  await load();
  return { refresh: load };
}
