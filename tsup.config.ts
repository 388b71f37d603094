import { defineConfig } from 'tsup';

// @simplewebauthn/server is an optional peer dependency the gate imports
// lazily, in its passkey methods only: never bundled, in any entry.
const external = ['@simplewebauthn/server'];

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      // The conformance suite for hosts' own stores, and the Durable Object
      // store (it runs in workerd): runtime-neutral too.
      'testing/index': 'src/testing/index.ts',
      'stores/durable-object': 'src/stores/durable-object.ts',
    },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    external,
    // No `clean`: tsup runs these configs in parallel, and one config's clean
    // could delete another's fresh output. `npm run build` empties dist first.
    target: 'es2022',
    platform: 'neutral',
    treeshake: true,
  },
  {
    // ESM keeps one file per module: with "sideEffects": false a bundler then
    // drops every module an app does not import, with its dependencies (one
    // bundled file kept qrcode-svg in a bundle that imports only verifyTotp).
    entry: ['src/**/*.ts', '!src/cli/**'],
    format: ['esm'],
    bundle: false,
    dts: {
      entry: {
        index: 'src/index.ts',
        'stores/sqlite': 'src/stores/sqlite.ts',
        'stores/postgres': 'src/stores/postgres.ts',
        'stores/redis': 'src/stores/redis.ts',
        'stores/kysely': 'src/stores/kysely.ts',
        'stores/drizzle': 'src/stores/drizzle.ts',
        'stores/durable-object': 'src/stores/durable-object.ts',
        'testing/index': 'src/testing/index.ts',
        'web/index': 'src/web/index.ts',
        'web/express': 'src/web/express.ts',
        'web/fastify': 'src/web/fastify.ts',
        'web/next': 'src/web/next.ts',
      },
    },
    sourcemap: true,
    external,
    target: 'es2022',
    platform: 'neutral',
  },
  {
    // The database stores, CommonJS (their ESM is built above). They use the
    // client the host passes in and import no driver; the Kysely and Drizzle
    // stores import their query builder (a peer dependency, kept external).
    entry: {
      'stores/sqlite': 'src/stores/sqlite.ts',
      'stores/postgres': 'src/stores/postgres.ts',
      'stores/redis': 'src/stores/redis.ts',
      'stores/kysely': 'src/stores/kysely.ts',
      'stores/drizzle': 'src/stores/drizzle.ts',
    },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    external,
    target: 'node20',
    platform: 'node',
  },
  {
    // otpgate/web and its adapters, CommonJS (their ESM is built above). They
    // import no framework, and run wherever Request and Response exist.
    entry: {
      'web/index': 'src/web/index.ts',
      'web/express': 'src/web/express.ts',
      'web/fastify': 'src/web/fastify.ts',
      'web/next': 'src/web/next.ts',
    },
    format: ['cjs'],
    dts: true,
    sourcemap: true,
    external,
    target: 'es2022',
    platform: 'neutral',
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    external,
    banner: { js: '#!/usr/bin/env node' },
  },
]);
