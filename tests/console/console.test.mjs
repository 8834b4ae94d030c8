// The operator console in a real browser: headless Chromium (driven by playwright-core)
// loads /console from a real roomd (debug.fault_injection on, so a room can be
// crashed) and an operator's steps are checked by what the page shows and by what
// separate WebSocket clients receive. Every page is also checked at 800 px wide, for
// an accessible name on every control, and saved as a screenshot under docs/console/.
//
// Chromium is looked for at $CHROMIUM_BIN, then /usr/bin/chromium; without it the
// tests fail (CI installs Debian's chromium).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { RoomdServer } from "../../clients/js/test/helpers/server.mjs";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SHOTS = join(REPO, "docs/console");
const CHROMIUM = [process.env.CHROMIUM_BIN, "/usr/bin/chromium"].find((p) => p && existsSync(p));
if (!CHROMIUM) throw new Error("no Chromium at $CHROMIUM_BIN or /usr/bin/chromium (install Debian's chromium)");

// Generous bounds for a loaded 2-core CI machine; the UI refreshes every 2 s.
const SEEN = { timeout: 10_000 };

let server;
let browser;
let context;
let page;

/** A WebSocket client of roomd (Node's built-in WebSocket) that records every frame. */
class WsClient {
  static async open(token) {
    const c = new WsClient();
    c.frames = [];
    c.waiters = new Set();
    c.ws = new WebSocket(`${server.wsUrl}?token=${encodeURIComponent(token)}`);
    c.closed = new Promise((res) => c.ws.addEventListener("close", (e) => res({ code: e.code, reason: e.reason })));
    c.ws.addEventListener("message", (e) => {
      c.frames.push(JSON.parse(e.data));
      for (const w of c.waiters) w();
    });
    await c.next((f) => f.type === "hello");
    return c;
  }

  send(frame) {
    this.ws.send(JSON.stringify(frame));
  }

  /** The first frame (seen or to come) matching `pred`. */
  next(pred, ms = 10_000) {
    return new Promise((res, rej) => {
      const check = () => {
        const f = this.frames.find(pred);
        if (!f) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        res(f);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        rej(new Error(`no matching frame within ${ms} ms; got ${JSON.stringify(this.frames.map((f) => f.type))}`));
      }, ms);
      this.waiters.add(check);
      check();
    });
  }

  close() {
    this.ws.close();
  }
}

async function userClient(name) {
  const t = await server.createToken("user", name);
  return WsClient.open(t.token);
}

/** Every focusable control of the page that has no accessible name. */
function unnamedControls() {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll("input, select, textarea, button, a[href]")) {
      if (el.closest("[hidden]") || el.type === "hidden") continue;
      const named =
        el.labels?.length > 0 ||
        el.getAttribute("aria-label") ||
        el.getAttribute("aria-labelledby") ||
        (["BUTTON", "A"].includes(el.tagName) && el.textContent.trim());
      if (!named) bad.push(el.outerHTML.slice(0, 120));
    }
    return bad;
  });
}

/** Checks a shown page: accessible names, 800 px without sideways scrolling, screenshot. */
async function checkPage(name) {
  assert.deepEqual(await unnamedControls(), [], `${name}: controls without an accessible name`);
  await page.setViewportSize({ width: 800, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${name}: at 800 px the page scrolls sideways by ${overflow} px`);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

async function go(link) {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: link, exact: true }).click();
  await page.getByRole("heading", { level: 1 }).first().waitFor(SEEN);
}

async function login(token) {
  await page.goto(`${server.httpUrl}/`);
  await page.evaluate(() => (location.hash = "#/login"));
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Log in" }).click();
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  const { chromium } = await import("playwright-core");
  server = await RoomdServer.start({ ROOMD__DEBUG__FAULT_INJECTION: "true", ROOMD__ROOMS__AUTO_CREATE: "false" });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = await context.newPage();
  page.on("pageerror", (e) => console.error("page error:", e));
});

after(async () => {
  await browser?.close();
  await server?.dispose();
});

test("GET / redirects to the console, served with a strict Content-Security-Policy", async () => {
  const root = await fetch(`${server.httpUrl}/`, { redirect: "manual" });
  assert.equal(root.status, 308);
  assert.equal(root.headers.get("location"), "/console/");
  const res = await fetch(`${server.httpUrl}/console/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /text\/html/);
  const csp = res.headers.get("content-security-policy");
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const html = await res.text();
  assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
  const js = await fetch(`${server.httpUrl}/console/app.js`);
  assert.match(js.headers.get("content-type"), /javascript/);
  assert.equal((await fetch(`${server.httpUrl}/console/nope.js`)).status, 404);
});

test("a wrong token shows the API's error and stays on the login page", async () => {
  await login("rmd_not_a_real_token");
  await page.getByRole("alert").filter({ hasText: /token/i }).first().waitFor(SEEN);
  assert.equal(await page.getByRole("navigation", { name: "Main" }).isVisible(), false);
  await checkPage("login");
});

test("login keeps the token in sessionStorage only, and the navigation is named", async () => {
  await login(server.adminToken);
  await page.getByRole("heading", { name: "Overview" }).waitFor(SEEN);
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const name of ["Overview", "Rooms", "Actors", "Broadcasts", "Schedules", "Tokens", "Audit"]) {
    assert.ok(await nav.getByRole("link", { name, exact: true }).isVisible(), `nav link ${name}`);
  }
  const storage = await page.evaluate(() => ({ local: localStorage.length, session: Object.values(sessionStorage) }));
  assert.equal(storage.local, 0);
  assert.deepEqual(storage.session, [server.adminToken]);
  assert.ok(!page.url().includes(server.adminToken));
});

test("overview shows live figures and charts", async () => {
  const c = await userClient("dave");
  await go("Overview");
  // The figures are the server's: one WebSocket client is connected.
  await page.getByRole("group", { name: "Connections" }).locator(".stat-value", { hasText: /^1$/ }).waitFor(SEEN);
  await page.getByRole("group", { name: "Rooms" }).locator(".stat-sub", { hasText: /running/ }).waitFor(SEEN);
  assert.equal(await page.locator(".uplot").count(), 2);
  c.close();
  await checkPage("overview");
});

let ws;
test("create a room; a message sent by a WebSocket client appears on its page live", async () => {
  await go("Rooms");
  await page.getByText("Create a room").click();
  await page.getByLabel("Room id").fill("support");
  await page.getByLabel("Name", { exact: true }).fill("Support desk");
  await page.getByRole("button", { name: "Create room" }).click();
  await page.getByRole("heading", { name: /Support desk/ }).waitFor(SEEN);
  assert.match(page.url(), /#\/rooms\/support$/);

  ws = await userClient("alice");
  ws.send({ type: "join", room: "support" });
  await ws.next((f) => f.type === "joined");
  ws.send({ type: "send", room: "support", text: "hello from a websocket client", client_id: "c1" });
  await ws.next((f) => f.type === "ack");
  await page.getByRole("list", { name: "Messages" }).getByText("hello from a websocket client").waitFor({ timeout: 2_000 + 3_000 });
  // Watching is not joining: only alice is a member, and she saw nobody join.
  await page.locator("tr[data-member='alice']").waitFor(SEEN);
  assert.equal(await page.locator("tr[data-member]").count(), 1);
  assert.ok(!ws.frames.some((f) => f.type === "member_joined"), "the operator showed up as a member");

  await page.getByLabel("Message", { exact: true }).fill("operator here");
  await page.getByRole("button", { name: "Post" }).click();
  const posted = await ws.next((f) => f.type === "message" && f.text === "operator here");
  assert.equal(posted.from.kind, "system");
  await page.getByRole("list", { name: "Messages" }).getByText("operator here").waitFor(SEEN);
  await checkPage("room");
});

test("room settings show the API's validation error next to the field", async () => {
  await page.getByLabel("Max members").fill("0");
  await page.getByRole("button", { name: "Save settings" }).click();
  const error = page.locator(".field[data-field='max_members'] .field-error");
  await error.filter({ hasText: /max_members/ }).waitFor(SEEN);
  await page.getByLabel("Max members").fill("50");
  await page.getByLabel("Retention (days)").fill("30");
  await page.getByRole("button", { name: "Save settings" }).click();
  await page.getByText("Settings saved.").waitFor(SEEN);
  const room = await server.api("GET", "/rooms/support");
  assert.equal(room.settings.max_members, 50);
  assert.equal(room.settings.retention_days, 30);
  assert.equal(room.settings.welcome_template, null, "an untouched field is not sent");
});

test("change a role, then kick: the client receives room_closed", async () => {
  await page.getByLabel("Role of alice").selectOption("moderator");
  await page.getByRole("button", { name: "Apply role to alice" }).click();
  await page.locator("tr[data-member='alice'] .role", { hasText: "moderator" }).waitFor(SEEN);
  const members = await server.api("GET", "/rooms/support/members");
  assert.equal(members.items[0].role, "moderator");

  await page.getByRole("button", { name: "Kick alice" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Kick alice" }).click();
  const closed = await ws.next((f) => f.type === "room_closed");
  assert.equal(closed.reason, "kicked");
  await page.locator("tr[data-member='alice']").waitFor({ state: "detached", ...SEEN });
  ws.close();

});

test("a broadcast to 50 rooms reaches 100% with the per-room table filled", async () => {
  for (let i = 0; i < 50; i++) await server.api("POST", "/rooms", { id: `bulk-${String(i).padStart(2, "0")}`, tags: ["bulk"] });
  await go("Broadcasts");
  await page.getByLabel("Text").fill("maintenance at noon");
  await page.getByLabel("Target").selectOption("tag");
  await page.getByLabel("Tag", { exact: true }).fill("bulk");
  await page.getByRole("button", { name: "Start broadcast" }).click();
  await page.getByRole("heading", { name: /Broadcast bc_/ }).waitFor(SEEN);
  await page.locator(".job-progress", { hasText: "100%" }).waitFor({ timeout: 30_000 });
  await page.locator("tr[data-room][data-status='delivered']").nth(49).waitFor(SEEN);
  assert.equal(await page.locator("tr[data-room]").count(), 50);
  await checkPage("broadcast");
  await go("Broadcasts");
  await page.getByRole("table", { name: "Broadcast history" }).getByText("maintenance at noon").waitFor(SEEN);
  await checkPage("broadcasts");
});

test("a new schedule shows its next 5 fire times in its time zone before saving", async () => {
  await go("Schedules");
  await page.getByText("Create a schedule").click();
  await page.getByLabel("Cron").fill("30 9 * * MON-FRI");
  await page.getByLabel("Time zone").fill("Europe/Berlin");
  const times = page.locator(".fire-times li");
  await times.nth(4).waitFor(SEEN);
  assert.equal(await times.count(), 5);
  const stamps = await page.locator(".fire-times time").evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
  for (const s of stamps) assert.match(s, /T09:30:00(\+01:00|\+02:00)$/, `fire time ${s} in Berlin time`);
  await page.getByLabel("Target").selectOption("rooms");
  await page.getByLabel("Room ids").fill("support");
  await page.getByLabel("Text").fill("stand-up in 5 minutes");
  await page.getByRole("button", { name: "Create schedule" }).click();
  await page.getByRole("heading", { name: /Schedule sch_/ }).waitFor(SEEN);
  await page.locator(".fire-times li").nth(4).waitFor(SEEN);
  await checkPage("schedule");
  await go("Schedules");
  await page.getByRole("table", { name: "Schedules" }).getByText("30 9 * * MON-FRI").waitFor(SEEN);
  await checkPage("schedules");
});

test("a crashed room's restart count rises on the Actors page", async () => {
  const c = await userClient("bob");
  c.send({ type: "join", room: "support" });
  await c.next((f) => f.type === "joined");
  await go("Actors");
  const restarts = page.locator("tr[data-actor='room:support'] .restarts");
  await restarts.waitFor(SEEN);
  const before = Number(await restarts.textContent());
  await server.api("POST", "/rooms/support/crash");
  await page.waitForFunction(
    (b) => Number(document.querySelector("tr[data-actor='room:support'] .restarts")?.textContent) > b,
    before,
    SEEN,
  );
  await checkPage("actors");
  c.close();
});

test("revoking a token closes its session", async () => {
  await go("Tokens");
  await page.getByLabel("Kind").selectOption("user");
  await page.getByLabel("Name", { exact: true }).fill("carol");
  await page.getByRole("button", { name: "Create token" }).click();
  const secret = page.getByLabel("New token secret");
  await secret.waitFor(SEEN);
  const token = await secret.inputValue();
  assert.match(token, /^rmd_/);
  const c = await WsClient.open(token);
  const id = await page.locator(".secret strong").textContent().then((t) => t.match(/tok_\w+/)[0]);
  await checkPage("tokens");
  await page.getByRole("button", { name: "Done" }).click();
  assert.equal(await page.getByLabel("New token secret").count(), 0, "the secret is gone once dismissed");
  await page.getByRole("button", { name: `Revoke token ${id}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Revoke" }).click();
  const closed = await c.closed;
  assert.equal(closed.code, 4502);
});

test("the audit log filters by action and actor", async () => {
  await go("Audit");
  const actions = () => page.locator("tbody tr td:nth-child(3)").allTextContents();
  await page.locator("tbody tr", { hasText: "room.create" }).first().waitFor(SEEN);
  await page.getByLabel("Action").selectOption("token.revoke");
  await page.waitForFunction(
    () => [...document.querySelectorAll("tbody tr td:nth-child(3)")].every((td) => td.textContent === "token.revoke"),
    null,
    SEEN,
  );
  assert.deepEqual(await actions(), ["token.revoke"]);
  // By actor: the token the console logged in with made every change so far.
  const me = (await server.api("GET", "/audit?limit=1")).items[0].actor.id;
  await page.getByLabel("Action").selectOption("");
  await page.getByLabel("Actor (token id)").fill("tok_nobody");
  await page.getByText("No entry matches.").waitFor(SEEN);
  await page.getByLabel("Actor (token id)").fill(me);
  await page.locator("tbody tr", { hasText: "room.create" }).first().waitFor(SEEN);
  await checkPage("audit");
});

test("rooms list: search and pages", async () => {
  await go("Rooms");
  await page.getByLabel("Search").fill("bulk-4");
  await page.locator("tbody tr", { hasText: "bulk-49" }).waitFor(SEEN);
  assert.equal(await page.locator("tbody tr").count(), 10);
  await page.getByLabel("Search").fill("");
  await page.locator("tbody tr").nth(24).waitFor(SEEN);
  await checkPage("rooms");
  const first = await page.locator("tbody tr td:first-child").allTextContents();
  await page.getByRole("button", { name: "Next" }).click();
  await page.getByText("Page 2").waitFor(SEEN);
  const second = await page.locator("tbody tr td:first-child").allTextContents();
  // 51 rooms by id, 25 a page: bulk-00…24, then bulk-25…49 (support on page 3).
  assert.deepEqual([first.length, second.length, first[0], second[0]], [25, 25, "bulk-00", "bulk-25"]);
  assert.ok(second.every((id) => !first.includes(id)) && second.every((id, i) => i === 0 || id > second[i - 1]));
  // The overview again, now that the charts have the broadcast's traffic in them.
  await go("Overview");
  await page.getByRole("group", { name: "Rooms" }).locator(".stat-value", { hasText: /^51$/ }).waitFor(SEEN);
  await checkPage("overview");
});

test("restart a room, delete a message, and delete the room through a dialog that names it", async () => {
  const c = await userClient("erin");
  c.send({ type: "join", room: "bulk-49" });
  await c.next((f) => f.type === "joined");
  c.send({ type: "send", room: "bulk-49", text: "this one goes", client_id: "e1" });
  const ack = await c.next((f) => f.type === "ack");
  await go("Rooms");
  await page.getByLabel("Search").fill("bulk-49");
  await page.getByRole("link", { name: "bulk-49" }).click();
  await page.getByRole("heading", { name: "bulk-49" }).waitFor(SEEN);

  await page.getByRole("button", { name: "Restart room" }).click();
  await page.getByText("The room's actor restarted.").waitFor(SEEN);
  assert.equal((await server.api("GET", "/rooms/bulk-49")).restarts, 1);

  await page.getByRole("button", { name: `Delete message ${ack.seq}` }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Delete message" }).click();
  await page.getByRole("list", { name: "Messages" }).getByText(/deleted by/).waitFor(SEEN);
  const gone = await c.next((f) => f.type === "message_deleted");
  assert.equal(gone.seq, ack.seq);

  await page.getByRole("button", { name: "Delete room" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByRole("heading", { name: "Delete room bulk-49?" }).waitFor(SEEN);
  const confirm = dialog.getByRole("button", { name: "Delete bulk-49" });
  assert.equal(await confirm.isDisabled(), true, "the delete button waits for the room's id");
  await dialog.getByLabel("Type bulk-49 to confirm").fill("bulk-49");
  await confirm.click();
  await page.getByRole("heading", { name: "Rooms" }).waitFor(SEEN);
  const closed = await c.next((f) => f.type === "room_closed");
  assert.equal(closed.reason, "deleted");
  const after = await fetch(`${server.httpUrl}/api/v1/rooms/bulk-49`, { headers: { Authorization: `Bearer ${server.adminToken}` } });
  assert.equal(after.status, 404);
  c.close();
});

test("the keyboard reaches the skip link, then the navigation, in order", async () => {
  await go("Overview");
  await page.reload();
  await page.getByRole("heading", { name: "Overview" }).waitFor(SEEN);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Overview");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Rooms" }).waitFor(SEEN);
});

test("a server that goes away shows 'disconnected, retrying' and recovers", async () => {
  await go("Overview");
  await server.stop();
  await page.getByText(/Disconnected from the server, retrying/).waitFor(SEEN);
  await server.start();
  await page.getByText(/Disconnected from the server/).waitFor({ state: "hidden", timeout: 15_000 });
  assert.ok(await page.getByRole("heading", { name: "Overview" }).isVisible());
});

test("a revoked admin token logs the tab out with the API's message", async () => {
  const admin = await server.createToken("admin", "second-operator");
  await login(admin.token);
  await page.getByRole("heading", { name: "Overview" }).waitFor(SEEN);
  await server.api("DELETE", `/tokens/${admin.id}`);
  await page.getByLabel("Admin token").waitFor(SEEN);
  await page.getByRole("alert").filter({ hasText: /revoked/i }).first().waitFor(SEEN);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
});

test("log out returns to the login page and forgets the token", async () => {
  await login(server.adminToken);
  await page.getByRole("heading", { name: "Overview" }).waitFor(SEEN);
  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByLabel("Admin token").waitFor(SEEN);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  // Back to a console page without a token: the login page again.
  await page.goto(`${server.httpUrl}/console/#/rooms`);
  await page.getByLabel("Admin token").waitFor(SEEN);
});
