// Lone surrogates (half of a UTF-16 pair) are mapped to U+FFFD by the
// PostgreSQL and Redis drivers, so two ids that differ only there would share
// one record. Every id the gate or a store takes must be well-formed.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** @internal Whether `text` is well-formed UTF-16 (no lone surrogate). */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
