// Helpers shared by several modules; never re-exported from the package.

/** `n` bytes from the platform CSPRNG (Web Crypto, present in Node 20+, browsers, Deno, Bun, workers). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/**
 * Compares two strings without an early exit on the first difference, so the
 * time taken does not tell how much of a guess was right. JIT compilers make
 * this best effort in JavaScript, not a guarantee.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

// The intrinsic getters of every typed array: they read the internal slots,
// so neither a look-alike (`{ length: 1e9 }`, a Proxy) nor an own or
// inherited `length` can answer for them, and they work across realms
// (an iframe's or a vm context's Uint8Array), where `instanceof` does not.
const TYPED_ARRAY = /* @__PURE__ */ Object.getPrototypeOf(Uint8Array.prototype) as object;
const TAG = /* @__PURE__ */ Object.getOwnPropertyDescriptor(TYPED_ARRAY, Symbol.toStringTag)!.get!;
const LENGTH = /* @__PURE__ */ Object.getOwnPropertyDescriptor(TYPED_ARRAY, 'length')!.get!;

/** Whether `value` really is a Uint8Array (Node's own byte buffers are) whose `length` is its own. */
export function isBytes(value: unknown): value is Uint8Array {
  return TAG.call(value) === 'Uint8Array' && (value as Uint8Array).length === LENGTH.call(value);
}
