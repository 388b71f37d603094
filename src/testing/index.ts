/**
 * The `MfaStore` conformance suite, for hosts who write their own
 * store: the same checks every store shipped with otpgate passes. It needs
 * no test framework of its own: {@link storeConformance} registers the
 * checks with the `describe` and `it` you pass (vitest, jest, mocha or
 * Node's built-in test runner), and {@link storeConformanceChecks} gives them as a plain list.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { createMemoryStore } from 'otpgate';
 * import { storeConformance } from 'otpgate/testing';
 *
 * storeConformance({ name: 'memory', create: () => createMemoryStore() }, { describe, it });
 * ```
 *
 * @module otpgate/testing
 */
export {
  incrementCounter,
  storeConformance,
  storeConformanceChecks,
  type StoreCheck,
  type StoreConformanceOptions,
  type TestFramework,
} from './store-conformance.js';
