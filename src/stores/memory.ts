import { OtpError } from '../errors.js';
import type { MfaRecord } from '../seams/store.js';
import type { MfaStore, StoredRecord } from '../seams/store.js';
import { checkUserId, pageLimit } from './_shared.js';

interface Slot {
  // Kept serialised so that no caller ever holds a reference into stored
  // state, and so a value that is not JSON fails at write time, as it would
  // on a database store.
  readonly json: string;
  readonly version: number;
}

/**
 * An {@link MfaStore} that keeps records in this process's memory: the
 * default for tests, demos and single-process hosts, and the reference for
 * the semantics every other store must match. Records are lost when the
 * process exits and are not shared between processes; use
 * `otpgate/stores/sqlite`, `otpgate/stores/postgres` or
 * `otpgate/stores/redis` for that.
 *
 * Records are copied in and out (through JSON), so mutating an object
 * passed to or returned by the store never changes what is stored.
 * `compareAndSet` checks and writes in one synchronous step, which makes it
 * atomic in a single JavaScript thread. Runs in any runtime.
 *
 * @returns a new, empty store
 *
 * @example
 * ```ts
 * import { createMemoryStore } from 'otpgate';
 * const store = createMemoryStore();
 * await store.compareAndSet('alice', null, { resetRequest: null }); // true: version 1
 * await store.compareAndSet('alice', null, { resetRequest: null }); // false: exists already
 * (await store.get('alice'))?.version; // 1
 * ```
 */
export function createMemoryStore(): MfaStore {
  const slots = new Map<string, Slot>();
  // Serves listOpenResets without scanning every user, like the SQL index.
  const openResets = new Set<string>();

  function read(userId: string, slot: Slot): StoredRecord & { readonly userId: string } {
    return { userId, record: JSON.parse(slot.json) as MfaRecord, version: slot.version };
  }

  return {
    async get(userId) {
      checkUserId(userId, 'memory store');
      const slot = slots.get(userId);
      if (slot === undefined) return null;
      const { record, version } = read(userId, slot);
      return { record, version };
    },

    async compareAndSet(userId, expected, next) {
      checkUserId(userId, 'memory store');
      let json: string;
      try {
        json = JSON.stringify(next);
      } catch (cause) {
        throw new OtpError('ERR_STORE', 'memory store: the record is not a JSON value', { cause });
      }
      if (typeof json !== 'string') {
        throw new OtpError('ERR_STORE', 'memory store: the record is not a JSON value');
      }
      // No await between the check and the write: this is the atomic step.
      const current = slots.get(userId);
      if (expected === null ? current !== undefined : current?.version !== expected) return false;
      slots.set(userId, { json, version: (current?.version ?? 0) + 1 });
      if (isResetOpen(next)) openResets.add(userId);
      else openResets.delete(userId);
      return true;
    },

    async delete(userId) {
      checkUserId(userId, 'memory store');
      openResets.delete(userId);
      return slots.delete(userId);
    },

    async listUsers(options) {
      const limit = pageLimit(options?.limit, 'memory store');
      const after = options?.cursor ?? null;
      // Keyset paging on the sorted ids: users added or removed meanwhile do not shift the others.
      const ids = [...slots.keys()].filter((id) => after === null || id > after).sort();
      const userIds = ids.slice(0, limit);
      return { userIds, cursor: ids.length > limit ? userIds.at(-1)! : null };
    },

    async listOpenResets() {
      const open: Array<StoredRecord & { readonly userId: string }> = [];
      for (const userId of openResets) {
        const slot = slots.get(userId);
        if (slot !== undefined) open.push(read(userId, slot));
      }
      return open;
    },
  };
}

function isResetOpen(record: MfaRecord): boolean {
  const request = (record as { resetRequest?: unknown }).resetRequest;
  return request !== null && request !== undefined;
}
