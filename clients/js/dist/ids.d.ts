/**
 * Random identifiers for `client_id`s: 22 base-62 characters (~131 bits) from the
 * platform's `crypto.getRandomValues` (browsers, also outside secure contexts, and
 * Node >= 20), with `Math.random` as the last resort.
 */
/** A fresh random id, `prefix` followed by 22 base-62 characters. */
export declare function randomId(prefix?: string): string;
