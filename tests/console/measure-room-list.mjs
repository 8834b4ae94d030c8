// How long the console takes to show the first page of the room list, in headless
// Chromium: from opening #/rooms (a full page load, the token already in the tab) to
// the first row rendered, for the default sort and for sort by activity. Run by
// benches/scripts/room_list_timing.sh against a store with 100,000 rooms; prints
// medians (docs/PERFORMANCE.md, "Room list"). Not a test: no pass or fail.
//
// Usage: node measure-room-list.mjs URL ADMIN_TOKEN [RUNS]

import { existsSync } from "node:fs";
import { chromium } from "playwright-core";

const [url, token, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 10);
const executablePath = [process.env.CHROMIUM_BIN, "/usr/bin/chromium"].find((p) => p && existsSync(p));
const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(`${url}/console/`);
await page.evaluate((t) => sessionStorage.setItem("roomd.console.adminToken", t), token);

const DEBOUNCE_MS = 250; // the list reloads this long after a filter change

async function firstPage(sort) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    await page.goto("about:blank");
    const start = Date.now();
    await page.goto(`${url}/console/#/rooms`);
    await page.locator("tbody tr").first().waitFor();
    if (sort === "id") {
      times.push(Date.now() - start);
      continue;
    }
    const answered = page.waitForResponse((r) => r.url().includes(`sort=${sort}`));
    const changed = Date.now();
    await page.getByLabel("Sort by").selectOption(sort);
    await answered;
    await page.waitForFunction(() => document.querySelector("tbody tr td a") !== null);
    times.push(Date.now() - changed - DEBOUNCE_MS);
  }
  times.sort((a, b) => a - b);
  console.log(`  console, first page of rooms (sort=${sort}): median ${times[times.length >> 1]} ms, max ${times.at(-1)} ms over ${runs} runs`);
}

console.log("The console's room list (headless Chromium, page load to first row):");
await firstPage("id");
await firstPage("activity");
await browser.close();
