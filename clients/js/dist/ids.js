/**
 * Random identifiers for `client_id`s: 22 base-62 characters (~131 bits) from the
 * platform's `crypto.getRandomValues` (browsers, also outside secure contexts, and
 * Node >= 20), with `Math.random` as the last resort.
 */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** A fresh random id, `prefix` followed by 22 base-62 characters. */
export function randomId(prefix = "") {
    const bytes = new Uint8Array(22);
    const c = globalThis.crypto;
    if (c?.getRandomValues)
        c.getRandomValues(bytes);
    else
        for (let i = 0; i < bytes.length; i++)
            bytes[i] = Math.floor(Math.random() * 256);
    let out = prefix;
    for (const b of bytes)
        out += ALPHABET[b % 62];
    return out;
}
