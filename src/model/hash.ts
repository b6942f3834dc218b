/** A small, fast, deterministic string hash. Not cryptographic (node:crypto costs `stack status` ~8 ms to load). */

const SEED_A = 0x9e3779b9;
const SEED_B = 0x85ebca6b;

// cyrb53 (public domain), cut to 52 bits so each half is exactly 13 hex digits.
function cyrb52(text: string, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return ((h2 & 0xfffff) * 0x100000000 + (h1 >>> 0)).toString(16).padStart(13, '0');
}

/** A 26-hex-digit (104-bit) hash of `text`: two independently seeded cyrb53 runs. */
export function hashString(text: string): string {
  return cyrb52(text, SEED_A) + cyrb52(text, SEED_B);
}
