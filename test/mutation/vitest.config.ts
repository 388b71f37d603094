// The tests Stryker runs against each mutant (`npm run mutation`): the unit and
// property tests of the layers it mutates, without the slow outside checks
// (packed tarball, browsers, databases, CLI builds) that cover other code.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts', 'test/gate/**/*.test.ts', 'test/mutation/**/*.test.ts'],
    // oathtool is an outside cross-check; the concurrency test races real timers,
    // which instrumented code on a busy machine slows into spurious conflicts.
    exclude: ['test/core/oathtool.test.ts', 'test/gate/concurrency.test.ts'],
    testTimeout: 30_000,
  },
});
