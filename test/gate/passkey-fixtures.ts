// The recorded WebAuthn fixtures (test/fixtures/passkeys/, made in Chromium
// with a virtual authenticator) as the gate's tests use them. A recording
// answers fixed challenges, so a test first lets the gate hand out a
// challenge, then pins it to the recorded one in the store (`pinChallenge`):
// the one thing the gate draws at random that the recording cannot follow.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../../src/gate/webauthn-json.js';
import { parseGateRecord } from '../../src/gate/record.js';
import type { MfaRecord, MfaStore } from '../../src/seams/store.js';

export interface RecordedLogin {
  readonly challenge: string;
  readonly response: AuthenticationResponseJSON;
  readonly counter: number;
}

export interface PasskeyFixture {
  readonly rpId: string;
  readonly rpName: string;
  readonly origin: string;
  readonly registration: {
    readonly challenge: string;
    readonly response: RegistrationResponseJSON;
    readonly credential: { readonly id: string; readonly publicKey: string; readonly counter: number; readonly transports: string[] };
  };
  readonly logins: readonly [RecordedLogin, RecordedLogin];
  readonly cloned: RecordedLogin;
}

export const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/passkeys/passkeys.json'), 'utf8')) as PasskeyFixture;

/** The relying party the fixtures were recorded for. */
export const RP = { rpId: fixture.rpId, rpName: fixture.rpName, origin: fixture.origin } as const;

/** A deep copy, so a test may change an answer without touching the others. */
export function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * Replaces the challenge the gate handed out last (or the one equal to
 * `from`) with `to`, by compare-and-set, as if the gate had drawn it.
 */
export async function pinChallenge(store: MfaStore, userId: string, to: string, from?: string): Promise<void> {
  const found = await store.get(userId);
  if (found === null) throw new Error('no record to pin a challenge in');
  const record = parseGateRecord(found.record);
  const list = record.passkeyChallenges ?? [];
  const index = from === undefined ? list.length - 1 : list.findIndex((c) => c.challenge === from);
  if (index < 0) throw new Error('no challenge to pin');
  const next = { ...record, passkeyChallenges: list.map((c, i) => (i === index ? { ...c, challenge: to } : c)) };
  if (!(await store.compareAndSet(userId, found.version, next as unknown as MfaRecord))) throw new Error('the record changed while pinning');
}
