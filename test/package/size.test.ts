// The size budget of scripts/size-budget.mjs, checked on every test run from the
// sources (esbuild bundles src/index.ts directly, so no build is needed); CI's
// `npm run size:check` measures the built dist/ the same way.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain .mjs script without declarations
import { BUDGETS, checkBudgets, measure } from '../../scripts/size-budget.mjs';

interface Row {
  name: string;
  budget: number;
  min: number;
  gzip: number;
}

describe('size budget', () => {
  it('every entry of the browser bundle is within its budget', async () => {
    const rows = (await checkBudgets('./src/index.ts')) as Row[];
    expect(rows.map((row) => row.name)).toEqual((BUDGETS as Row[]).map((row) => row.name));
    for (const row of rows) expect({ name: row.name, over: row.gzip > row.budget }).toEqual({ name: row.name, over: false });
  });

  it('tree-shakes: verifyTotp alone leaves out QR, URIs and the gate', async () => {
    const core = (await measure('./src/index.ts', ['verifyTotp'])) as Row;
    const enrollment = (await measure('./src/index.ts', ['qrSvg'])) as Row;
    const gate = (await measure('./src/index.ts', ['createGate'])) as Row;
    // qrcode-svg alone is bigger than the whole core entry; if it leaked in, this fails.
    expect(core.gzip).toBeLessThan(enrollment.gzip);
    expect(core.gzip * 3).toBeLessThan(gate.gzip);
  });

  it('otpgate/web bundles no framework and no store driver: only its own modules, the errors and one helper', async () => {
    const web = (await measure('./src/web/index.ts', ['createFlow'])) as Row & { inputs: Record<string, unknown> };
    const outside = Object.keys(web.inputs).filter((file) => !file.startsWith('src/web/') && file !== 'entry.js');
    expect(outside.sort()).toEqual(['src/errors.ts', 'src/internal/bytes.ts']);
  });
});
