// Login throttling before the password hash is even computed: failures are
// counted per user name and per client address in a sliding window, in
// memory (one demo process). The gate throttles wrong one-time codes itself.

export interface RateLimit {
  readonly limit: number;
  readonly windowMs: number;
}

export function createRateLimiter({ limit, windowMs }: RateLimit) {
  const hits = new Map<string, number[]>();
  const recent = (key: string, now: number) => (hits.get(key) ?? []).filter((t) => t > now - windowMs);
  return {
    /** When `key` may try again (ms since the epoch), or `null` if it may now. */
    blockedUntil(key: string, now: number): number | null {
      const times = recent(key, now);
      return times.length >= limit ? times[times.length - limit]! + windowMs : null;
    },
    fail(key: string, now: number): void {
      const times = recent(key, now);
      times.push(now);
      hits.set(key, times);
      // Bounds the memory an attacker cycling through names can take.
      if (hits.size > 10_000) hits.delete(hits.keys().next().value!);
    },
    clear(key: string): void {
      hits.delete(key);
    },
  };
}
