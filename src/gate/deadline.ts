// One timer for many awaits: a gate call races every seam call it makes
// against the same deadline, so a hanging store, directory or cipher cannot
// hang the caller, at the cost of one timer per call rather than one per await.
/** @internal */
export interface Deadline {
  /** Settles like `work`, or rejects with `late()` once the deadline has passed. */
  race<T>(work: () => T | Promise<T>, late: () => Error): Promise<T>;
  /** Milliseconds left (0 once passed). */
  left(): number;
  /** Stops the timer; later races start a new one. */
  clear(): void;
}

const LATE = Symbol('late');

/** @internal A deadline `ms` from the first race; nothing is scheduled until then. */
export function deadline(ms: number): Deadline {
  let end: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let passed: Promise<typeof LATE> | undefined;
  // A timer may fire a millisecond before Date.now() reaches `end`: once it
  // has, the deadline has passed whatever the clock says.
  let expired = false;

  function arm(): Promise<typeof LATE> {
    end ??= Date.now() + ms;
    passed ??= new Promise((resolve) => {
      timer = setTimeout(() => {
        expired = true;
        resolve(LATE);
      }, Math.max(0, end! - Date.now()));
    });
    return passed;
  }

  return {
    async race(work, late) {
      const outcome = await Promise.race([Promise.resolve().then(work), arm()]);
      if (outcome === LATE) throw late();
      return outcome as Awaited<ReturnType<typeof work>>;
    },
    left() {
      return expired ? 0 : end === undefined ? ms : Math.max(0, end - Date.now());
    },
    clear() {
      clearTimeout(timer);
      timer = undefined;
      passed = undefined;
    },
  };
}
