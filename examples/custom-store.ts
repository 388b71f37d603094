// A store of your own: the MfaStore seam on a plain Map. The same three
// methods put otpgate on any database; what makes them correct is that
// compareAndSet checks the version and writes in one atomic step (here: no
// `await` between the two; in SQL: `UPDATE ... WHERE version = $expected`;
// in Redis: one Lua script). Prove yours with the conformance suite, as
// test/examples/custom-store.test.ts does with this one.
// (In your application, import from 'otpgate' instead of '../src/index.js'.)
import { OtpError, type MfaRecord, type MfaStore, type StoredRecord, type UserRecord } from '../src/index.js';

interface Row {
  readonly json: string; // kept serialised: callers never hold a reference into stored state
  readonly version: number;
}

export function createMapStore(rows: Map<string, Row> = new Map()): MfaStore {
  const read = (row: Row): StoredRecord => ({ record: JSON.parse(row.json) as MfaRecord, version: row.version });

  return {
    async get(userId) {
      const row = rows.get(userId);
      return row === undefined ? null : read(row);
    },

    async compareAndSet(userId, expected, next) {
      let json: string;
      try {
        json = JSON.stringify(next);
      } catch (cause) {
        // A backend failure is an ERR_STORE rejection, never `false` (which means "another writer won").
        throw new OtpError('ERR_STORE', 'map store: the record is not JSON', { cause });
      }
      const current = rows.get(userId);
      const matches = expected === null ? current === undefined : current?.version === expected;
      if (!matches) return false;
      rows.set(userId, { json, version: (current?.version ?? 0) + 1 });
      return true;
    },

    async listOpenResets() {
      // A scan is fine for a Map; a database store would index `resetRequest IS NOT NULL`.
      const open: UserRecord[] = [];
      for (const [userId, row] of rows) {
        const stored = read(row);
        if (stored.record.resetRequest !== null) open.push({ userId, ...stored });
      }
      return open;
    },
  };
}
