/**
 * Gathers the calls made in one turn of the event loop and runs them as one
 * backend operation, at most `max` to an operation. On a busy server, most of
 * a database's cost per login is per statement (the round trip, the parse,
 * the commit), not per row, so 64 logins served by one statement each way
 * cost a fraction of 64 statements each way.
 *
 * `run` answers one output per input, in order. When it fails, every call of
 * that operation gets its error: the caller turns it into `ERR_STORE` itself,
 * so each one gets its own redacted copy.
 */
export function batched<I, O>(run: (items: readonly I[]) => Promise<readonly O[]>, max: number): (item: I) => Promise<O> {
  interface Waiting {
    readonly item: I;
    resolve(output: O): void;
    reject(error: unknown): void;
  }
  let pending: Waiting[] | null = null;
  const dispatch = (waiting: readonly Waiting[]): void => {
    for (let start = 0; start < waiting.length; start += max) {
      const part = waiting.slice(start, start + max);
      Promise.resolve()
        .then(() => run(part.map((entry) => entry.item)))
        .then(
          (outputs) => part.forEach((entry, i) => entry.resolve(outputs[i]!)),
          (error: unknown) => part.forEach((entry) => entry.reject(error)),
        );
    }
  };
  return (item) =>
    new Promise<O>((resolve, reject) => {
      if (pending === null) {
        const waiting: Waiting[] = (pending = []);
        // setImmediate, not a microtask: concurrent requests reach a server
        // in separate I/O callbacks, and a macrotask lets the ones that arrived
        // in the same poll of the event loop join.
        setImmediate(() => {
          pending = null;
          dispatch(waiting);
        });
      }
      pending.push({ item, resolve, reject });
    });
}
