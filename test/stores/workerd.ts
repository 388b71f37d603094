// Runs a Worker in workerd (the Workers runtime) through Miniflare, for the
// Durable Object store's tests and the Worker example's.
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** Bundles a Worker (a path from the repository root) for workerd; platform 'browser', so a `node:` import fails the bundle. */
export async function bundleWorker(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [root + entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Starts the Worker with its OTPGATE namespace bound to OtpgateDurableObject (SQLite-backed, in memory). */
export async function startWorker(script: string, bindings: Record<string, string> = {}): Promise<Miniflare> {
  const mf = new Miniflare({
    modules: true,
    script,
    bindings,
    compatibilityDate: '2025-01-01',
    durableObjects: { OTPGATE: { className: 'OtpgateDurableObject', useSQLite: true } },
  });
  await mf.ready;
  return mf;
}
