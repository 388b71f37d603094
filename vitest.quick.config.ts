import { defineConfig } from 'vitest/config';

// `npm run test:quick`: the unit tests of the core, enrollment and gate layers, the loop to
// run while changing them (under a minute on a 2-core machine). Left out: the cross-checks
// that start outside programs (oathtool, zbarimg, Chromium), the concurrency bursts, the
// CLI, the stores, the packaging and the examples; `npm test` runs everything.
export default defineConfig({
  test: {
    include: ['test/core/**/*.test.ts', 'test/enrollment/**/*.test.ts', 'test/gate/**/*.test.ts'],
    // The tests that drive oathtool and Chromium; those that use zbarimg and rsvg-convert skip
    // themselves, with a reason, on OTPGATE_QUICK (test/enrollment/tools.ts).
    // And the bursts of concurrent calls (test/gate/concurrency.test.ts), timing-bound and
    // the slowest of the three layers.
    exclude: ['test/core/oathtool.test.ts', 'test/enrollment/browser.test.ts', 'test/gate/concurrency.test.ts'],
    env: { OTPGATE_QUICK: '1' },
    testTimeout: 30_000,
  },
});
