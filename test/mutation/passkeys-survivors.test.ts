// Written from the mutants of src/gate/passkeys.ts: the passkey helpers of the
// record (challenges kept and pushed out, consumed), the browser's answers read
// for their outline (exact messages, field bounds, the optional user handle and
// transports), the client data's challenge, and the relying party checked as
// WebAuthn checks it (RP id, name, origins and their bounds).
import { describe, expect, it } from 'vitest';
import { isOtpError } from '../../src/errors.js';
import {
  addChallenge,
  base64url,
  cleanTransports,
  clientChallenge,
  consumeChallenge,
  fromBase64url,
  MAX_CHALLENGES,
  readAssertion,
  readRegistration,
  readRelyingParty,
} from '../../src/gate/passkeys.js';
import { initialRecord, type GateRecord, type PasskeyChallenge } from '../../src/gate/record.js';
import { harness } from '../gate/harness.js';
import { copy, fixture } from '../gate/passkey-fixtures.js';
import { T0 } from '../gate/fixtures.js';

/** What `bad` adds to every refusal of a browser answer. */
const TAIL = ": pass the JSON the browser's WebAuthn call resolved with (as @simplewebauthn/browser returns it)";
const RP_ID = 'w: rpId must be a lower-case host name, like example.com (no scheme, port or path)';
const RP_NAME = 'w: rpName must be 1 to 64 characters';
const ORIGINS = "w: origin must be an origin like 'https://example.com', or a list of 1 to 16";
const EACH_ORIGIN = "w: each origin must be like 'https://example.com' (scheme, host, port if any; no path) on rpId or one of its subdomains";

type Outcome = { code: string; message: string } | { accepted: unknown };

/** How a call ends: its result, or the code and message of the `OtpError` it threw (anything else is rethrown). */
function outcome(call: () => unknown): Outcome {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    if (isOtpError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  return { accepted: result };
}

const refused = (message: string): Outcome => ({ code: 'ERR_OPTIONS', message });

const bytesOf = (text: string) => new TextEncoder().encode(text);
/** Client data as a browser sends it: JSON, UTF-8, base64url. */
const clientData = (json: string) => base64url(bytesOf(json));

describe('base64url', () => {
  it('drops all the padding, and uses - and _', () => {
    expect(base64url(Uint8Array.of(0xfb))).toBe('-w');
    expect(base64url(Uint8Array.of(0xff, 0xff))).toBe('__8');
    expect(base64url(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('-_-_');
    expect(fromBase64url('-w')).toEqual(Uint8Array.of(0xfb));
    expect(fromBase64url('-w==')).toBeNull();
  });
});

describe('challenges in the record', () => {
  const NOW = T0;
  const challenge = (n: number, overrides: Partial<PasskeyChallenge> = {}): PasskeyChallenge => ({
    challenge: `c${n}`,
    kind: 'login',
    rpId: 'example.com',
    origins: ['https://example.com'],
    createdAt: NOW - 1000 + n,
    expiresAt: NOW + 300_000,
    used: false,
    ...overrides,
  });
  const withChallenges = (list: PasskeyChallenge[]): GateRecord => ({ ...initialRecord(), passkeyChallenges: list });
  const names = (record: GateRecord) => (record.passkeyChallenges ?? []).map((c) => c.challenge);

  it('below the maximum nothing is pushed out', () => {
    expect(MAX_CHALLENGES).toBe(5);
    const list = [0, 1, 2, 3].map((n) => challenge(n, { used: n === 1 }));
    expect(names(addChallenge(withChallenges(list), challenge(9), NOW))).toEqual(['c0', 'c1', 'c2', 'c3', 'c9']);
    expect(names(addChallenge(initialRecord(), challenge(9), NOW))).toEqual(['c9']);
  });

  it('at the maximum a used challenge goes before the oldest live one', () => {
    const list = [0, 1, 2, 3, 4].map((n) => challenge(n, { used: n === 2 }));
    expect(names(addChallenge(withChallenges(list), challenge(9), NOW))).toEqual(['c0', 'c1', 'c3', 'c4', 'c9']);
  });

  it('at the maximum an expired challenge goes before the oldest live one; the first spent one of several goes', () => {
    const list = [0, 1, 2, 3, 4].map((n) => challenge(n, { expiresAt: n === 3 ? NOW : NOW + 1 }));
    expect(names(addChallenge(withChallenges(list), challenge(9), NOW))).toEqual(['c0', 'c1', 'c2', 'c4', 'c9']);
    const two = [0, 1, 2, 3, 4].map((n) => challenge(n, { used: n === 1 || n === 4 }));
    expect(names(addChallenge(withChallenges(two), challenge(9), NOW))).toEqual(['c0', 'c2', 'c3', 'c4', 'c9']);
  });

  it('at the maximum with every challenge live the oldest goes', () => {
    const list = [0, 1, 2, 3, 4].map((n) => challenge(n));
    expect(names(addChallenge(withChallenges(list), challenge(9), NOW))).toEqual(['c1', 'c2', 'c3', 'c4', 'c9']);
  });

  it('consuming marks that challenge used and no other; a record without challenges keeps none', () => {
    const list = [0, 1].map((n) => challenge(n));
    expect(consumeChallenge(withChallenges(list), list[1]!).passkeyChallenges).toEqual([list[0], { ...list[1], used: true }]);
    expect(consumeChallenge(initialRecord(), list[0]!).passkeyChallenges).toEqual([]);
  });
});

describe('clientChallenge', () => {
  it('reads the challenge of well-formed client data', () => {
    expect(clientChallenge(clientData('{"type":"webauthn.get","challenge":"ab_-9Z"}'))).toBe('ab_-9Z');
    expect(clientChallenge(fixture.logins[0].response.response.clientDataJSON)).toBe(fixture.logins[0].challenge);
  });

  it("is '' for client data that is not base64url, not JSON, or not UTF-8", () => {
    expect(clientChallenge('not base64url!')).toBe('');
    expect(clientChallenge(clientData('not json'))).toBe('');
    // Valid JSON but for one byte that is not UTF-8, in a field other than the challenge.
    const head = bytesOf('{"challenge":"abc","x":"');
    const tail = bytesOf('"}');
    const bytes = new Uint8Array([...head, 0xff, ...tail]);
    expect(clientChallenge(base64url(bytes))).toBe('');
  });

  it("is '' for a challenge that is not a base64url string of at most 1024 characters", () => {
    for (const json of ['null', '"abc"', '{}', '{"challenge":42}', '{"challenge":["abc"]}', '{"challenge":"a b"}', '{"challenge":"a+b/"}', '{"challenge":""}']) {
      expect(clientChallenge(clientData(json)), json).toBe('');
    }
    expect(clientChallenge(clientData(`{"challenge":"${'A'.repeat(1024)}"}`))).toBe('A'.repeat(1024));
    expect(clientChallenge(clientData(`{"challenge":"${'A'.repeat(1025)}"}`))).toBe('');
  });
});

describe('cleanTransports', () => {
  it('keeps the transports WebAuthn names, each once, in order', () => {
    expect(cleanTransports(['usb', 'nfc', 'usb', 42, 'bluetooth', null, 'hybrid', 'nfc'])).toEqual(['usb', 'nfc', 'hybrid']);
    expect(cleanTransports(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'])).toEqual(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
  });

  it('is empty for anything that is not a list', () => {
    expect(cleanTransports(undefined)).toEqual([]);
    expect(cleanTransports('usb')).toEqual([]);
    expect(cleanTransports({ length: 1, 0: 'usb' })).toEqual([]);
  });
});

describe('readAssertion', () => {
  const good = fixture.logins[0].response;
  const withResponse = (fields: Record<string, unknown>) => ({ ...copy(good), response: { ...copy(good.response), ...fields } });
  const read = (value: unknown) => outcome(() => readAssertion(value, 'w'));

  it("returns the answer itself and what it claims: its client data's challenge, its credential", () => {
    const answer = copy(good);
    const result = readAssertion(answer, 'w');
    expect(result.response).toBe(answer);
    expect(result.claim).toEqual({ challenge: fixture.logins[0].challenge, credentialId: good.id });
  });

  it('names what is wrong in its message', () => {
    const cases: [unknown, string][] = [
      [null, 'w: the response must be an object'],
      ['a string', 'w: the response must be an object'],
      [[], 'w: the response must be an object'],
      [{ ...copy(good), id: undefined }, 'w: id must be base64url of at most 1364 characters'],
      [{ ...copy(good), rawId: 'other' }, 'w: rawId must equal id'],
      [{ ...copy(good), type: 'password' }, "w: type must be 'public-key'"],
      [{ ...copy(good), response: null }, 'w: response.response must be an object'],
      [{ ...copy(good), response: 'text' }, 'w: response.response must be an object'],
      [{ ...copy(good), response: [] }, 'w: response.response must be an object'],
      [withResponse({ clientDataJSON: 'not base64url!' }), 'w: response.clientDataJSON must be base64url of at most 4096 characters'],
      [withResponse({ authenticatorData: 'A'.repeat(8193) }), 'w: response.authenticatorData must be base64url of at most 8192 characters'],
      [withResponse({ signature: undefined }), 'w: response.signature must be base64url of at most 2048 characters'],
      [withResponse({ userHandle: 'not base64url!' }), 'w: response.userHandle must be base64url of at most 1024 characters'],
      [withResponse({ userHandle: 42 }), 'w: response.userHandle must be base64url of at most 1024 characters'],
      [withResponse({ userHandle: 'A'.repeat(1025) }), 'w: response.userHandle must be base64url of at most 1024 characters'],
    ];
    for (const [value, message] of cases) expect(read(value), message).toEqual(refused(message + TAIL));
  });

  it('the user handle may be left out or null', () => {
    for (const userHandle of [undefined, null, 'A'.repeat(1024)]) {
      const answer = withResponse({ userHandle });
      expect(read(answer)).toEqual({ accepted: { response: answer, claim: { challenge: fixture.logins[0].challenge, credentialId: good.id } } });
    }
  });

  it('a credential id of 1364 characters is read; one more is refused', () => {
    const id = 'A'.repeat(1364);
    expect(readAssertion({ ...copy(good), id, rawId: id }, 'w').claim.credentialId).toBe(id);
    const longer = 'A'.repeat(1365);
    expect(read({ ...copy(good), id: longer, rawId: longer })).toEqual(refused(`w: id must be base64url of at most 1364 characters${TAIL}`));
  });

  it('through the gate the message names the method and the field', async () => {
    const h = harness();
    let error: unknown;
    try {
      await h.gate.verifyPasskey('alice', withResponse({ userHandle: 'not base64url!' }));
    } catch (caught) {
      error = caught;
    }
    expect(isOtpError(error) && { code: error.code, message: error.message }).toEqual(
      refused(`verifyPasskey: response.userHandle must be base64url of at most 1024 characters${TAIL}`),
    );
  });
});

describe('readRegistration', () => {
  const good = fixture.registration.response;
  const withResponse = (fields: Record<string, unknown>) => ({ ...copy(good), response: { ...copy(good.response), ...fields } });
  const read = (value: unknown) => outcome(() => readRegistration(value, 'w'));
  const TRANSPORTS = `w: response.transports must be a list of strings${TAIL}`;

  it("returns the answer itself and what it claims; the transports may be left out", () => {
    const answer = copy(good);
    expect(read(answer)).toEqual({ accepted: { response: answer, claim: { challenge: fixture.registration.challenge, credentialId: good.id } } });
    expect(answer.response.transports).toEqual(['internal']);
    const without = withResponse({ transports: undefined });
    expect(read(without)).toEqual({ accepted: { response: without, claim: { challenge: fixture.registration.challenge, credentialId: good.id } } });
  });

  it('names what is wrong in its message', () => {
    expect(read(withResponse({ clientDataJSON: undefined }))).toEqual(refused(`w: response.clientDataJSON must be base64url of at most 4096 characters${TAIL}`));
    expect(read(withResponse({ attestationObject: 'A'.repeat(16_385) }))).toEqual(refused(`w: response.attestationObject must be base64url of at most 16384 characters${TAIL}`));
    expect(read({ ...copy(good), type: 'public key' })).toEqual(refused(`w: type must be 'public-key'${TAIL}`));
  });

  it('transports: a list of at most 16 strings of at most 32 characters each', () => {
    for (const transports of [[], Array.from({ length: 16 }, (_, i) => `t${i}`), ['x'.repeat(32)], ['usb', 'unknown-but-short']]) {
      expect(read(withResponse({ transports })), JSON.stringify(transports)).toMatchObject({ accepted: { claim: { credentialId: good.id } } });
    }
    for (const transports of ['usb', null, { 0: 'usb' }, Array.from({ length: 17 }, (_, i) => `t${i}`), ['usb', 42], [42], [['usb']], ['x'.repeat(33)], ['usb', 'x'.repeat(33)]]) {
      expect(read(withResponse({ transports })), JSON.stringify(transports)).toEqual(refused(TRANSPORTS));
    }
  });
});

describe('readRelyingParty', () => {
  const rp = (options: Record<string, unknown> | undefined) => outcome(() => readRelyingParty(options as never, 'w'));
  const ok = (rpId: string, rpName: string, origins: string[]) => ({ accepted: { rpId, rpName, origins } });
  /** `https://` and a host on example.com, `length` characters in all (at least 489). */
  const originOfLength = (length: number) => `https://${`${'a'.repeat(50)}.`.repeat(9)}${'b'.repeat(length - 8 - 459 - 12)}.example.com`;

  it('without options or an RP id: the RP id is what is wrong', () => {
    expect(rp(undefined)).toEqual(refused(RP_ID));
    expect(rp({ origin: 'https://example.com' })).toEqual(refused(RP_ID));
    expect(rp({ rpId: 42, origin: 'https://example.com' })).toEqual(refused(RP_ID));
  });

  it('an RP id that is not a lower-case host name is refused as such', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    expect(long).toHaveLength(254);
    for (const rpId of ['Example.com', 'https://example.com', 'example.com:443', 'example.com/', '-example.com', 'example-.com', 'example..com', '', long]) {
      expect(rp({ rpId, origin: 'https://example.com' }), rpId).toEqual(refused(RP_ID));
    }
  });

  it('host names of one-character labels, long labels and 253 characters are RP ids', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    expect(long).toHaveLength(253);
    for (const rpId of ['x', 'a.example.com', 'my.x', 'example.info', 'a-b.c-d.ef', long]) {
      expect(rp({ rpId, rpName: 'RP', origin: `https://${rpId}` }), rpId).toEqual(ok(rpId, 'RP', [`https://${rpId}`]));
    }
    // The name defaults to the RP id, cut to 64 characters: a long RP id needs no name of its own.
    expect(rp({ rpId: long, origin: `https://${long}` })).toEqual(ok(long, long.slice(0, 64), [`https://${long}`]));
  });

  it('the RP name defaults to the RP id and is 1 to 64 characters', () => {
    expect(rp({ rpId: 'example.com', rpName: 'Example', origin: 'https://example.com' })).toEqual(ok('example.com', 'Example', ['https://example.com']));
    expect(rp({ rpId: 'example.com', rpName: 'n'.repeat(64), origin: 'https://example.com' })).toEqual(ok('example.com', 'n'.repeat(64), ['https://example.com']));
    for (const rpName of [42, '', '   ', 'n'.repeat(65), '\ud800']) {
      expect(rp({ rpId: 'example.com', rpName, origin: 'https://example.com' }), String(rpName)).toEqual(refused(RP_NAME));
    }
  });

  it('one origin or a list of 1 to 16, each once', () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => `https://s${i}.example.com`);
    expect(rp({ rpId: 'example.com', origin: sixteen })).toEqual(ok('example.com', 'example.com', sixteen));
    expect(rp({ rpId: 'example.com', origin: ['https://example.com', 'https://a.example.com', 'https://example.com'] })).toEqual(
      ok('example.com', 'example.com', ['https://example.com', 'https://a.example.com']),
    );
    for (const origin of [undefined, 42, [], [...sixteen, 'https://example.com'], Array.from({ length: 17 }, () => 'https://example.com')]) {
      expect(rp({ rpId: 'example.com', origin }), JSON.stringify(origin)).toEqual(refused(ORIGINS));
    }
  });

  it('each origin is https (or http on localhost), with no path, on the RP id or a subdomain, of at most 512 characters', () => {
    expect(originOfLength(512)).toHaveLength(512);
    expect(rp({ rpId: 'example.com', origin: originOfLength(512) })).toEqual(ok('example.com', 'example.com', [originOfLength(512)]));
    expect(rp({ rpId: 'example.com', origin: ['https://example.com', originOfLength(513)] })).toEqual(refused(EACH_ORIGIN));
    for (const [rpId, origin] of [
      ['example.com', 'https://example.org'],
      ['example.com', 'not a url'],
      ['example.com', 'http://example.com'],
      ['example.com', 'https://example.com/'],
      ['example.com', ['https://example.com', 42]],
      ['localhost', 'ftp://localhost'],
      ['localhost', 'ws://localhost:3000'],
    ] as const) {
      expect(rp({ rpId, origin }), JSON.stringify(origin)).toEqual(refused(EACH_ORIGIN));
    }
    expect(rp({ rpId: 'localhost', origin: 'http://localhost:3000' })).toEqual(ok('localhost', 'localhost', ['http://localhost:3000']));
    expect(rp({ rpId: 'app.localhost', origin: 'http://app.localhost' })).toEqual(ok('app.localhost', 'app.localhost', ['http://app.localhost']));
    expect(rp({ rpId: 'localhost', origin: 'http://dev.app.localhost:8080' })).toEqual(ok('localhost', 'localhost', ['http://dev.app.localhost:8080']));
  });

  it('through the gate, a login begun without options names the RP id', async () => {
    const h = harness();
    let error: unknown;
    try {
      await h.gate.beginPasskeyLogin('alice', undefined as never);
    } catch (caught) {
      error = caught;
    }
    expect(isOtpError(error) && { code: error.code, message: error.message }).toEqual(refused(RP_ID.replace('w:', 'beginPasskeyLogin:')));
    expect(await h.store.get('alice')).toBeNull();
  });
});
