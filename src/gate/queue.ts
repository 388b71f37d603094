// Calls for the same user within one process take turns. Compare-and-set
// still decides between processes; within one, 256 concurrent calls for one
// user (a double click, a script, an attacker) would otherwise race each
// other through every retry and end in ERR_CONFLICT instead of answers.

/** @internal Runs `work` after every earlier call queued under the same key has settled. */
export function createKeyedQueue(): <T>(key: string, work: () => Promise<T>) => Promise<T> {
  const tails = new Map<string, Promise<void>>();
  return async (key, work) => {
    const before = tails.get(key);
    let done!: () => void;
    const tail = new Promise<void>((resolve) => (done = resolve));
    tails.set(key, tail);
    try {
      if (before !== undefined) await before;
      return await work();
    } finally {
      done();
      if (tails.get(key) === tail) tails.delete(key);
    }
  };
}
