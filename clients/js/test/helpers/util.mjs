/**
 * Test utilities: bounded waits on a condition re-checked on events, a seeded PRNG
 * (so a failing chaos run can be replayed with the printed seed), and JWTs.
 */

import { createHmac } from "node:crypto";

/**
 * Resolves when `condition()` holds, re-checking it whenever `subscribe`'s callback
 * fires (e.g. on every client event); rejects after `timeoutMs` with `what()`.
 */
export function until(condition, subscribe, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "function" ? what() : what}`));
    }, timeoutMs);
    const check = () => {
      if (!condition()) return false;
      clearTimeout(timer);
      unsubscribe();
      resolve();
      return true;
    };
    if (check()) return;
    unsubscribe = subscribe(check);
  });
}

/** Rejects `promise` after `timeoutMs` with `what`. */
export function within(promise, timeoutMs, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An HS256 JWT for `claims`, signed with `secret`. */
export function jwt(claims, secret) {
  const b64 = (obj) => Buffer.from(JSON.stringify(obj)).toString("base64url");
  const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64(claims)}`;
  const sig = createHmac("sha256", secret).update(body).digest("base64url");
  return `${body}.${sig}`;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
