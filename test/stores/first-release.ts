// Records as the first release of otpgate wrote them, for the tests that
// load them with today's gate on every store (first-release.test.ts).
//
// The two records were written by the gate of commit 25e2520 (the last
// before the second edition) on its memory store, at a fixed clock:
// alice enrolled with one authenticator (no id, no label), confirmed with
// ten recovery codes, used once, then asked `root` for a reset (still open,
// its event still in the outbox, claimed); bob postponed once. They are kept
// here verbatim, and each store's test writes them as that store's first
// release did: the same columns, keys and JSON text.
import { createHmac } from 'node:crypto';
import { expect } from 'vitest';
import { createGate } from '../../src/gate/gate.js';
import type { GateEvent } from '../../src/gate/events.js';
import type { MfaStore } from '../../src/seams/store.js';

/** The clock of the first release when it wrote the records (ms). */
export const WRITTEN_AT = 1780304566000;

/** alice's TOTP secret (base32, SHA-1, 6 digits, 30 s), as enrolled then. */
export const SECRET = 'MEYCE4D5HZT7ASDTMESFDE7GZUZH3USD';

/** The recovery codes the first release showed alice; their hashes are in her record. */
export const RECOVERY_CODES: readonly string[] = [
  'U26Y-CS2N-6AOG-56ZT-PKKM-MV6A',
  'WCYK-4PX7-Y2EO-444G-CH4R-7FVJ',
  'HM2L-S3HA-3SUF-JRGD-LGQA-A26H',
  'PXPC-B7J4-HISV-TKGS-3ZIL-GF5Z',
  'GOFM-XJWM-FDD5-B3OG-LGBA-37WN',
  'CKEB-GYMV-7WGO-OVV7-RY33-EJJL',
  'ZVA5-MC7U-UY4A-6CV5-3Y3P-QXJJ',
  'QUJB-DO7O-QMK3-B6X2-EHOY-KAGM',
  'GQ2F-3NP3-UBAZ-PXQN-6KZN-ZU2Y',
  'WNNJ-ISCE-YYNQ-ECEQ-CX6N-XEQ7'
];

/** alice's open reset request. */
export const REQUEST_ID = '5ac3391ba2438d027fa85e9fdb5c7427.0';

/** When alice's authenticator was enrolled. */
export const ENROLLED_AT = 1780304445000;

/** alice's record, as the first release stored it at version 4. */
export const ALICE = {
  schema: 1,
  state: 'enrolled',
  postpones: {
    used: 0,
    attempts: [],
    lastAt: null
  },
  voluntary: false,
  mustEnroll: false,
  pending: null,
  active: {
    secret: 'MEYCE4D5HZT7ASDTMESFDE7GZUZH3USD',
    wrapped: false,
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    enrolledAt: 1780304445000,
    lastStep: 59343483,
    drift: 0
  },
  throttle: {
    failures: 0,
    locks: 0,
    lockedUntil: null,
    hardStop: false
  },
  recoveryCodes: [
    {
      salt: '448c932fb5b004b1fbe5db8136c52ee9',
      hash: '3732182c2c19abbf260a9c65bb1689982b31081132379349923134b81dd5776a'
    },
    {
      salt: '3db3a2125ae400217ac82c888d30f45c',
      hash: '44688f0842d0fea3ab70247f0eebce622cd77a2670ad83885cc730727a0daa6f'
    },
    {
      salt: '256ab9c1cc78cf8a84b50c791f8d34a4',
      hash: '9f1a5017a4dacc75c3dc85095c21b01a3f4e01faed537a4898fb093ce59f3e3d'
    },
    {
      salt: 'c8a4ab708f6636c6741b58774d6dc170',
      hash: 'd68def0b10754715ddbd66324cb9f32ad55cf2555e35d96acf044c3a8e8cbf96'
    },
    {
      salt: '206f3f164b5dd423d9d734f0521fa336',
      hash: 'fedf456841a5fc58ab4a527a461ded3671953a24945a9155341fd9da19b7363b'
    },
    {
      salt: '378a47e861f1245e1b7102e84643613b',
      hash: '88088a0f56b714971503cf4d491268bba637d6ea683b94ced87a2e5e20436c35'
    },
    {
      salt: '24b82e6cfb12bf4907e96a51c9ebdb48',
      hash: 'd214268ce50e65bcb167c5b1cab90847004f89526cb4f22d0e0d161d86a872a9'
    },
    {
      salt: 'd38d7e3c9cf1b4caff60596b1f7ee363',
      hash: '9201bda9b130978a4dce01289dc6f82f8fb1c65fb0a45647d360f3db1c39be89'
    },
    {
      salt: '4f6dbbf5d449ccf4d3d5a6a332a9513e',
      hash: '15de81123016fa621076e4de13d8175cc0836c8085b9457e9253d15ef65b7418'
    },
    {
      salt: '5d941b9dfa66525e57e167e5163079c2',
      hash: '92221a9e4721b07e33fe347e36ffe06ba609b01a56aa8a410df3defa36e1e742'
    }
  ],
  resetRequest: {
    id: '5ac3391ba2438d027fa85e9fdb5c7427.0',
    to: [
      'root'
    ],
    requestedAt: 1780304565000,
    expiresAt: 1780563765000,
    lastNotifiedAt: null,
    notifiedAt: {}
  },
  lastResolution: null,
  outbox: [
    {
      event: {
        type: 'reset-requested',
        requestId: '5ac3391ba2438d027fa85e9fdb5c7427.0',
        to: [
          'root'
        ],
        expiresAt: 1780563765000,
        id: '5ac3391ba2438d027fa85e9fdb5c7427.0.0',
        userId: 'alice',
        actor: 'alice',
        at: 1780304565000
      },
      claim: {
        token: '5ac3391ba2438d027fa85e9fdb5c7427',
        until: 1780304625000
      },
      attempts: 0
    }
  ],
  lastWrite: '5ac3391ba2438d027fa85e9fdb5c7427.0'
} as const;

/** bob's record, as the first release stored it at version 1. */
export const BOB = {
  schema: 1,
  state: 'none',
  postpones: {
    used: 1,
    attempts: [
      'login-1'
    ],
    lastAt: 1780304566000
  },
  voluntary: false,
  mustEnroll: false,
  pending: null,
  active: null,
  throttle: {
    failures: 0,
    locks: 0,
    lockedUntil: null,
    hardStop: false
  },
  recoveryCodes: [],
  resetRequest: null,
  lastResolution: null,
  outbox: [
    {
      event: {
        type: 'postponed',
        postponesLeft: 1,
        id: 'a909f24d0c7208aa329f6530398563f4.0.0',
        userId: 'bob',
        actor: 'bob',
        at: 1780304566000
      },
      claim: {
        token: 'a909f24d0c7208aa329f6530398563f4',
        until: 1780304626000
      },
      attempts: 0
    }
  ],
  lastWrite: 'a909f24d0c7208aa329f6530398563f4.0'
} as const;

/** One row per user, as every first-release store kept it: the version, the JSON text, and whether a reset is open. */
export interface FirstReleaseRow {
  readonly userId: string;
  readonly version: number;
  /** The record's JSON text, exactly as the first release serialised it. */
  readonly json: string;
  readonly resetOpen: boolean;
}

export const FIRST_RELEASE_ROWS: readonly FirstReleaseRow[] = [
  { userId: 'alice', version: 4, json: JSON.stringify(ALICE), resetOpen: true },
  { userId: 'bob', version: 1, json: JSON.stringify(BOB), resetOpen: false },
];

/**
 * The tables of the first release, verbatim: otpgate/stores/sqlite and
 * otpgate/stores/postgres (and the Kysely and Drizzle stores, which create
 * the same tables there) and the Kysely and Drizzle stores on MySQL/MariaDB.
 */
export function firstReleaseDdl(dialect: 'sqlite' | 'postgres' | 'mysql', table: string): string[] {
  switch (dialect) {
    case 'sqlite':
      return [
        `CREATE TABLE IF NOT EXISTS "${table}" (\n  user_id TEXT NOT NULL PRIMARY KEY,\n  version INTEGER NOT NULL CHECK (version >= 1),\n  record TEXT NOT NULL,\n  reset_open INTEGER NOT NULL DEFAULT 0 CHECK (reset_open IN (0, 1))\n)`,
        `CREATE INDEX IF NOT EXISTS "${table}_reset_open" ON "${table}" (user_id) WHERE reset_open = 1`,
      ];
    case 'postgres':
      return [
        `CREATE TABLE IF NOT EXISTS "${table}" (\n  user_id text PRIMARY KEY,\n  version bigint NOT NULL CHECK (version >= 1),\n  record json NOT NULL,\n  reset_open boolean NOT NULL DEFAULT false,\n  updated_at timestamptz NOT NULL DEFAULT now()\n)`,
        `CREATE INDEX IF NOT EXISTS "${table}_reset_open" ON "${table}" (user_id) WHERE reset_open`,
      ];
    case 'mysql':
      return [
        `CREATE TABLE IF NOT EXISTS \`${table}\` (\n  user_id VARBINARY(1024) NOT NULL PRIMARY KEY,\n  version BIGINT NOT NULL CHECK (version >= 1),\n  record LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,\n  reset_open BOOLEAN NOT NULL DEFAULT FALSE,\n  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),\n  INDEX \`${table}_reset_open\` (reset_open, user_id)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      ];
  }
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) with node:crypto, apart from otpgate's own code. */
export function independentTotp(base32: string, atMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of base32) bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[19]! & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** A user's row or keys as the store holds them now, read without the store. */
export interface RawRow {
  readonly version: number;
  readonly json: string;
  readonly resetOpen: boolean;
}

/** A store laid down with the first release's rows, and a way to read them back raw. */
export interface FirstReleaseStore {
  /** Today's store on the same table, keys or objects (migrated, as an upgraded host does). */
  readonly store: MfaStore;
  /** The user's row as stored, or `null`. */
  raw(userId: string): Promise<RawRow | null>;
}

/** One hour after the first release wrote the records; 16 s into a time step. */
export const TODAY = WRITTEN_AT + 3_600_000;

/**
 * Today's gate on the first release's records: they load unchanged (reads
 * write nothing), alice's phone and recovery codes keep working, her open
 * request is still listed, bob's postpone still counts, and the first write
 * of each upgrades the row in place while every old field survives.
 */
export async function checkFirstReleaseRecords({ store, raw }: FirstReleaseStore): Promise<void> {
  let now = TODAY;
  const events: GateEvent[] = [];
  const gate = createGate({
    store,
    issuer: 'ACME Co',
    policy: { required: true },
    clock: { now: () => now },
    directory: { administratorsOf: async () => [{ id: 'root', name: 'Root' }], isAdministratorOf: async (adminId) => adminId === 'root' },
    notifier: { notify: async (event) => void events.push(event) },
  });
  const primary = { id: 'primary', type: 'totp', label: 'Authenticator app', createdAt: ENROLLED_AT };

  // Read as today's gate reads them.
  expect(await gate.nextStep('alice')).toEqual({ step: 'code' });
  expect(await gate.nextStep('bob')).toEqual({ step: 'setup', required: true, postponesLeft: 1 });
  expect(await gate.authenticators('alice')).toEqual([{ ...primary, lastUsedAt: null }]);
  expect(await gate.status('alice')).toEqual({
    state: 'enrolled',
    required: true,
    enabled: true,
    enrolledAt: ENROLLED_AT,
    authenticators: [{ ...primary, lastUsedAt: null }],
    recoveryCodesLeft: 10,
    locked: null,
    resetRequest: { requestId: REQUEST_ID, to: ['root'], requestedAt: ALICE.resetRequest.requestedAt, expiresAt: ALICE.resetRequest.expiresAt },
    postponesLeft: 0,
    trustedDevices: [],
  });
  expect(await gate.status('bob')).toMatchObject({ state: 'none', enrolledAt: null, authenticators: [], recoveryCodesLeft: 0, postponesLeft: 1, resetRequest: null });
  expect(await gate.pendingResets('root')).toEqual([
    { userId: 'alice', requestId: REQUEST_ID, to: ['root'], requestedAt: ALICE.resetRequest.requestedAt, expiresAt: ALICE.resetRequest.expiresAt },
  ]);
  // Reading wrote nothing: the rows are byte for byte the first release's.
  for (const row of FIRST_RELEASE_ROWS) expect(await raw(row.userId)).toEqual({ version: row.version, json: row.json, resetOpen: row.resetOpen });

  // A code from alice's phone, computed apart from otpgate: the first write.
  const code = independentTotp(SECRET, now);
  expect(await gate.verify('alice', code)).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  const afterVerify = (await raw('alice'))!;
  expect(afterVerify.version).toBe(5);
  expect(afterVerify.resetOpen).toBe(true);
  const upgraded = JSON.parse(afterVerify.json) as Record<string, unknown>;
  // Upgraded in place: every field of the first release is still there, and
  // those the verify had no business changing are unchanged.
  expect(Object.keys(upgraded)).toEqual(expect.arrayContaining(Object.keys(ALICE)));
  expect(upgraded).toMatchObject({
    schema: 1,
    state: 'enrolled',
    postpones: ALICE.postpones,
    voluntary: false,
    mustEnroll: false,
    pending: null,
    active: { ...ALICE.active, lastStep: Math.floor(now / 30_000), lastUsedAt: now },
    throttle: ALICE.throttle,
    recoveryCodes: ALICE.recoveryCodes,
    // The notification it sent is recorded by a later write (the gate settles deliveries after the fact).
    resetRequest: { id: REQUEST_ID, to: ['root'], requestedAt: ALICE.resetRequest.requestedAt, expiresAt: ALICE.resetRequest.expiresAt },
    lastResolution: null,
  });
  // Still the legacy authenticator: no id written, read as 'primary'.
  expect((upgraded['active'] as Record<string, unknown>)['id']).toBeUndefined();
  expect(upgraded['lastWrite']).not.toBe(ALICE.lastWrite);
  // The event the first release left claimed in the outbox is delivered, once.
  const leftOver = ALICE.outbox[0].event.id;
  expect(events.filter((event) => event.id === leftOver)).toHaveLength(1);
  expect(await gate.authenticators('alice')).toEqual([{ ...primary, lastUsedAt: now }]);

  // The replay floor carried over: the same code again is refused.
  expect(await gate.verify('alice', code)).toMatchObject({ ok: false, reason: 'replayed' });
  now += 30_000;
  // A recovery code the first release issued.
  expect(await gate.verify('alice', RECOVERY_CODES[3]!)).toEqual({ ok: true, method: 'recovery', recoveryCodesLeft: 9 });
  expect(await gate.verify('alice', RECOVERY_CODES[3]!)).toMatchObject({ ok: false });

  // bob's postpone counts: one more, then none (his first release attempt id is over ten minutes old and goes).
  expect(await gate.postpone('bob', { attempt: 'login-2' })).toMatchObject({ postponesLeft: 0 });
  const bob = (await raw('bob'))!;
  expect(bob.version).toBe(2);
  expect(bob.resetOpen).toBe(false);
  expect(JSON.parse(bob.json)).toMatchObject({ ...BOB, postpones: { used: 2, attempts: ['login-2'], lastAt: now }, outbox: expect.any(Array), lastWrite: expect.any(String) });
  expect(events.filter((event) => event.id === BOB.outbox[0].event.id)).toHaveLength(1);
  await expect(gate.postpone('bob', { attempt: 'login-3' })).rejects.toMatchObject({ code: 'ERR_POSTPONE_LIMIT' });

  // The administrator's reset closes the request the first release opened, in the store's index too.
  expect(await gate.reset('root', 'alice')).toMatchObject({ ok: true });
  expect((await raw('alice'))!.resetOpen).toBe(false);
  expect(await store.listOpenResets()).toEqual([]);
  expect(await gate.nextStep('alice')).toMatchObject({ step: 'setup' });

  // Both users are listed.
  if (store.listUsers) {
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      // Pages of 50: a store that scans (Redis) walks the keys other tests
      // left as well, and SCAN with COUNT 1 would need thousands of pages.
      const page = await store.listUsers({ cursor, limit: 50 });
      page.userIds.forEach((id) => seen.add(id));
      cursor = page.cursor;
    } while (cursor !== null && ++pages < 100_000);
    expect([...seen].sort()).toEqual(['alice', 'bob']);
  }
}
