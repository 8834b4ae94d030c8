// The console's shell: login and logout, the hash router (#/rooms/lobby), the
// connection banner, and the page lifecycle.
//
// A page is a module under pages/ exporting `mount(root, params, ctx)`; it builds its
// view into `root` and may return `{refresh, dispose}`. The shell calls `refresh`
// every 2 seconds while the page is shown (never two at once), and `dispose` when the
// operator leaves it; `ctx.signal` aborts the page's streams and requests then.
// A 401 from any request logs the tab out and shows the API's message on the login
// page; a request without an answer shows "disconnected, retrying" until one
// succeeds (the refresh loop keeps trying).

import { api, connection, token, ApiError, Disconnected } from "./lib/api.js";
import { fill, h } from "./lib/dom.js";

const REFRESH_MS = 2000;

const routes = [
  [/^\/overview$/, () => import("./pages/overview.js")],
  [/^\/rooms$/, () => import("./pages/rooms.js")],
  [/^\/rooms\/(.+)$/, () => import("./pages/room.js")],
  [/^\/actors$/, () => import("./pages/actors.js")],
  [/^\/broadcasts$/, () => import("./pages/broadcasts.js")],
  [/^\/broadcasts\/(.+)$/, () => import("./pages/broadcast.js")],
  [/^\/schedules$/, () => import("./pages/schedules.js")],
  [/^\/schedules\/(.+)$/, () => import("./pages/schedule.js")],
  [/^\/tokens$/, () => import("./pages/tokens.js")],
  [/^\/audit$/, () => import("./pages/audit.js")],
];

const $ = (id) => document.getElementById(id);
let current = null; // {controller, timer, refresh, dispose}
let loginMessage = "";
let returnTo = "#/overview"; // where a login goes: the page a 401 logged out of

function showLogin(message = "") {
  leavePage();
  $("nav").hidden = true;
  $("logout").hidden = true;
  $("connection").hidden = true;
  fill($("page"));
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("login-token").value = "";
  $("login-token").focus();
  document.title = "Sign in · roomd console";
}

function logout(message = "") {
  token.clear();
  loginMessage = message;
  returnTo = message && location.hash !== "#/login" ? location.hash || "#/overview" : "#/overview";
  if (location.hash !== "#/login") location.hash = "#/login";
  else showLogin(message);
}

async function login(ev) {
  ev.preventDefault();
  const value = $("login-token").value.trim();
  if (!value) return;
  token.set(value);
  try {
    // Any admin-only read proves the token; the API's message says why not.
    await api("GET", "/tokens?limit=1");
  } catch (err) {
    token.clear();
    const why = err instanceof Disconnected ? "The server did not answer; is roomd running?" : err.message;
    $("login-error").textContent = why;
    return;
  }
  loginMessage = "";
  if (location.hash === returnTo) route();
  else location.hash = returnTo;
}

function leavePage() {
  if (!current) return;
  clearTimeout(current.timer);
  current.controller.abort();
  try {
    current.dispose?.();
  } catch (e) {
    console.error(e);
  }
  current = null;
}

function pageError(err) {
  const el = $("page-error");
  if (!el) return;
  el.textContent = err ? err.message : "";
  el.hidden = !err;
}

async function route() {
  const path = location.hash.replace(/^#/, "") || "/overview";
  if (path === "/login" || !token.get()) {
    if (path !== "/login") returnTo = `#${path}`;
    showLogin(loginMessage);
    return;
  }
  const match = routes.map(([re, load]) => [path.match(re), load]).find(([m]) => m);
  if (!match) {
    location.hash = "#/overview";
    return;
  }
  const [m, load] = match;
  leavePage();
  $("login").hidden = true;
  $("nav").hidden = false;
  $("logout").hidden = false;
  for (const a of $("nav").querySelectorAll("a")) {
    const top = a.getAttribute("href").slice(1);
    if (path === top || path.startsWith(`${top}/`)) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const root = h("div", { class: "page" });
  const errorLine = h("p", { id: "page-error", class: "notice error", role: "alert", hidden: true });
  fill($("page"), errorLine, root);
  const controller = new AbortController();
  const page = { controller, timer: null };
  current = page;
  try {
    const mod = await load();
    const params = m.slice(1).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw new Error(`not a valid address: #${path}`);
      }
    });
    const handle = (await mod.mount(root, params, { signal: controller.signal })) ?? {};
    if (current !== page) {
      handle.dispose?.();
      return;
    }
    // A page that reads nothing periodically still checks every 2 s that its token is
    // valid, so a revoked token logs out every tab.
    Object.assign(page, { refresh: () => api("GET", "/tokens?limit=1", undefined, { signal: controller.signal }) }, handle);
    const heading = root.querySelector("h1");
    document.title = `${heading?.textContent ?? "roomd"} · roomd console`;
    schedule(page);
  } catch (err) {
    if (current === page) reportError(err);
    // A page that could not load because the server was away or failing is loaded again.
    const retry = err instanceof Disconnected || (err instanceof ApiError && err.status >= 500);
    if (retry && current === page) page.timer = setTimeout(route, REFRESH_MS);
  }
}

function reportError(err) {
  if (err?.name === "AbortError") return;
  if (err instanceof Disconnected) return; // the banner says it
  if (err instanceof ApiError && err.status === 401) return; // logged out already
  console.error(err);
  pageError(err);
}

function schedule(page) {
  page.timer = setTimeout(async () => {
    if (current !== page) return;
    try {
      await page.refresh();
      if (current === page) pageError(null);
    } catch (err) {
      if (current === page) reportError(err);
    }
    if (current === page) schedule(page);
  }, REFRESH_MS);
}

connection.addEventListener("unauthorized", (e) => {
  if (!token.get()) return;
  logout(`Logged out: ${e.detail.message}`);
});
connection.addEventListener("disconnected", () => {
  const banner = $("connection");
  banner.textContent = "Disconnected from the server, retrying…";
  banner.hidden = false;
});
connection.addEventListener("connected", () => {
  $("connection").hidden = true;
});

// The skip link moves focus to the page, not to a route named "main".
document.querySelector(".skip").addEventListener("click", (ev) => {
  ev.preventDefault();
  $("main").focus();
});
$("login-form").addEventListener("submit", login);
$("logout").addEventListener("click", () => logout(""));
window.addEventListener("hashchange", route);
route();
