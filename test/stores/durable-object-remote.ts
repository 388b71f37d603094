// The Durable Object store inside workerd, driven from Node: the test Worker
// (durable-object-worker.ts) runs in Miniflare and serves each store method
// over fetch, so every call runs in real Durable Objects. Shared by the
// tests that run the store there.
import type { Miniflare } from 'miniflare';
import { OtpError, type OtpErrorCode } from '../../src/errors.js';
import type { MfaStore, StoredRecord, UserPage, UserRecord } from '../../src/seams/store.js';
import { bundleWorker, startWorker } from './workerd.js';

/** What an object's storage holds, key by key, and its alarm. */
export interface RawObject {
  readonly storage: Record<string, unknown>;
  readonly alarm: number | null;
}

export interface DurableObjectsInWorkerd {
  readonly mf: Miniflare;
  /** The bundled test Worker. */
  readonly code: string;
  /** An MfaStore in Node whose every call runs the Durable Object store inside workerd. */
  store(prefix?: string, options?: Record<string, unknown>): Required<MfaStore>;
  /** The storage of the object named `name` (for example `otpgate:user:alice`), after writing `put` into it as it is. */
  raw(name: string, put?: Record<string, unknown>): Promise<RawObject>;
  dispose(): Promise<void>;
}

export async function startDurableObjects(): Promise<DurableObjectsInWorkerd> {
  const code = await bundleWorker('test/stores/durable-object-worker.ts');
  const mf = await startWorker(code);

  async function call<T>(path: string, prefix: string, body: Record<string, unknown>): Promise<T> {
    const response = await mf.dispatchFetch(`http://worker${path}?prefix=${encodeURIComponent(prefix)}`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    const reply = (await response.json()) as { value?: T; error?: { code?: OtpErrorCode; message: string } };
    if (reply.error) {
      if (reply.error.code) throw new OtpError(reply.error.code, reply.error.message);
      throw new Error(reply.error.message);
    }
    return reply.value as T;
  }

  return {
    mf,
    code,
    store(prefix = 'otpgate:', options = {}) {
      const send = <T>(path: string, body: Record<string, unknown>) => call<T>(path, prefix, { ...body, options });
      return {
        get: (userId) => send<StoredRecord | null>('/get', { userId }),
        compareAndSet: (userId, expected, next) => send<boolean>('/compare-and-set', { userId, expected, next }),
        listOpenResets: () => send<UserRecord[]>('/list-open-resets', {}),
        delete: (userId) => send<boolean>('/delete', { userId }),
        listUsers: (page) => send<UserPage>('/list-users', { page }),
      };
    },
    raw: (name, put) => call<RawObject>('/raw?path=/test/storage', '', { userId: name, next: put === undefined ? {} : { put } }),
    dispose: () => mf.dispose(),
  };
}
