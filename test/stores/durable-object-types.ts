// Type-level check (tsc, no runtime): the bindings a Worker gets from
// @cloudflare/workers-types fit the store's and the class's parameter types,
// so a host passes `env.OTPGATE` and exports the class without a cast.
import type { DurableObjectNamespace, DurableObjectState } from '@cloudflare/workers-types/index.ts';
import { createDurableObjectStore, OtpgateDurableObject, type DurableObjectStore } from '../../src/stores/durable-object.js';

export function storeOn(env: { OTPGATE: DurableObjectNamespace }): DurableObjectStore {
  return createDurableObjectStore({ namespace: env.OTPGATE });
}

export function objectOn(state: DurableObjectState, env: { OTPGATE: DurableObjectNamespace }): OtpgateDurableObject {
  return new OtpgateDurableObject(state, env);
}
