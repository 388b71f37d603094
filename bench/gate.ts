// What the gate costs on top of the bare code check: `verify` through the gate
// on the memory store (load, decide, compare-and-set), with and without the
// AES-GCM cipher, next to the core's verifyTotp doing the same check.
// Run: npx tsx bench/gate.ts
import { totp, verifyTotp } from '../src/core/totp.js';
import { createAesGcmCipher } from '../src/gate/aes-gcm.js';
import { createGate } from '../src/gate/gate.js';
import type { SecretCipher } from '../src/seams/cipher.js';
import { createMemoryStore } from '../src/stores/memory.js';

const STEP = 30_000;
const ROUNDS = 20_000;
const T0 = Date.UTC(2026, 0, 1);

/** Every round is a login one step after the last, with the right code: the accepting path. */
async function gateVerify(cipher?: SecretCipher): Promise<number> {
  let now = T0;
  const gate = createGate({
    store: createMemoryStore(),
    issuer: 'Bench',
    clock: { now: () => now },
    cipher,
    directory: { administratorsOf: async () => [], isAdministratorOf: async () => false },
    notifier: { notify: async () => {} },
  });
  const { secret } = await gate.beginEnrollment('alice');
  const confirmed = await gate.confirmEnrollment('alice', totp(secret, { now }));
  if (!confirmed.ok) throw new Error('enrollment failed');
  const codes = Array.from({ length: ROUNDS }, (_, i) => totp(secret, { now: T0 + (i + 1) * STEP }));
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    now = T0 + (i + 1) * STEP;
    const result = await gate.verify('alice', codes[i]!);
    if (!result.ok) throw new Error(`round ${i}: ${result.reason}`);
  }
  return ROUNDS / ((performance.now() - start) / 1000);
}

/** The same check on the bare core: one verifyTotp with the replay floor, from base32 each time as the gate does. */
function coreVerify(): number {
  const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const codes = Array.from({ length: ROUNDS }, (_, i) => totp(secret, { now: T0 + (i + 1) * STEP }));
  let lastStep = T0 / STEP;
  const start = performance.now();
  for (let i = 0; i < ROUNDS; i++) {
    const match = verifyTotp(secret, codes[i]!, { now: T0 + (i + 1) * STEP, afterStep: lastStep });
    if (match === null) throw new Error(`round ${i}: no match`);
    lastStep = match.step;
  }
  return ROUNDS / ((performance.now() - start) / 1000);
}

const format = (opsPerSecond: number) => `${Math.round(opsPerSecond).toLocaleString('en-US').padStart(10)} ops/s`;

const core = coreVerify();
const plain = await gateVerify();
const encrypted = await gateVerify(createAesGcmCipher({ key: crypto.getRandomValues(new Uint8Array(32)) }));
console.log(`verify, ${ROUNDS} accepted codes each (Node ${process.version})`);
console.log(`  core verifyTotp                     ${format(core)}`);
console.log(`  gate.verify, memory store           ${format(plain)}  (${(core / plain).toFixed(1)}x the core's time)`);
console.log(`  gate.verify, memory store + AES-GCM ${format(encrypted)}  (${(core / encrypted).toFixed(1)}x the core's time)`);
