// The MfaStore conformance suite under vitest, for the stores in this
// repository: a thin user of otpgate/testing (src/testing), which hosts run
// on their own stores, so that there is one suite.
import { afterAll, describe, it } from 'vitest';
import type { MfaStore } from '../../src/seams/store.js';
import { storeConformance } from '../../src/testing/index.js';

export { incrementCounter } from '../../src/testing/index.js';

/** Tuning for slow backends; the defaults are what every shipped store passes. */
export interface StoreContractOptions {
  /** Concurrent compare-and-set calls racing for one version. @default 50 */
  readonly burst?: number;
  /** Concurrent read-then-retry increment loops on one counter. @default 20 */
  readonly incrementers?: number;
  /** Users written in the "many users" test. @default 200 */
  readonly users?: number;
}

/**
 * Registers the conformance tests for one store. `makeStore` is called at the
 * start of each test; it may return the same store every time, since each
 * test writes only user ids unique to it.
 */
export function describeStoreContract(
  name: string,
  makeStore: () => MfaStore | Promise<MfaStore>,
  options: StoreContractOptions = {},
): void {
  storeConformance({ name, create: makeStore, ...options }, { describe, it, afterAll });
}
