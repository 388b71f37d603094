import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // The package's own name resolves to its sources, as tsconfig.json's paths
  // do for tsc and tsx: examples that import 'otpgate/web' like a host would
  // are tested against the code, not against a stale dist/.
  resolve: {
    alias: [
      { find: /^otpgate$/, replacement: `${src}index.ts` },
      { find: /^otpgate\/web$/, replacement: `${src}web/index.ts` },
      { find: /^otpgate\/(web|stores)\/([a-z-]+)$/, replacement: `${src}$1/$2.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
