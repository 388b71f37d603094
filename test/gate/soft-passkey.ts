// A software WebAuthn authenticator for the gate's tests: it answers the
// options the gate hands out as a browser with a platform authenticator
// would (attestation "none", user presence, user verification unless told
// otherwise), with a P-256 or Ed25519 key and a signature counter a test can
// set back (a clone). The recorded fixtures (passkey-fixtures.ts) prove the
// gate against a real browser; this one lets a test answer any challenge,
// for races and for the cases a recording cannot make (no user
// verification, another origin, another RP id).
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '../../src/gate/webauthn-json.js';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** The smallest CBOR encoder the attestation object needs (RFC 8949: integers, bytes, text, maps). */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    throw new Error('cbor: too long');
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (typeof value === 'string') {
    const text = Buffer.from(value, 'utf8');
    return Buffer.concat([head(3, text.length), text]);
  }
  if (value instanceof Map) return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  throw new Error(`cbor: cannot encode ${typeof value}`);
}

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface SoftPasskeyOptions {
  /** The key type. @defaultValue 'ES256' */
  readonly alg?: 'ES256' | 'Ed25519';
  /** Whether the authenticator verifies the user (sets the UV flag). @defaultValue true */
  readonly uv?: boolean;
}

interface CreationOptions {
  readonly challenge: string;
  readonly rp: { readonly id?: string };
  readonly user: { readonly id: string };
}

interface RequestOptions {
  readonly challenge: string;
  readonly rpId?: string;
}

/** Overrides of what the browser would put in an answer, to make bad ones. */
export interface Tamper {
  /** The origin the client data names. */
  readonly origin?: string;
  /** The RP id whose hash the authenticator data carries. */
  readonly rpId?: string;
  /** The client data's type ('webauthn.create' / 'webauthn.get'). */
  readonly type?: string;
  /** The challenge the client data names. */
  readonly challenge?: string;
}

/** One authenticator holding one credential (made by `register`). */
export class SoftPasskey {
  /** The signature counter of the last answer; the next one carries one more (unless `counting` is off). */
  counter = 0;
  /** Whether the authenticator keeps a counter at all (synced passkeys report 0). */
  counting = true;
  credentialId = new Uint8Array(0);
  private key: KeyObject | null = null;
  private coseKey: Buffer = Buffer.alloc(0);
  private userHandle = '';
  private rpId = '';
  private readonly alg: 'ES256' | 'Ed25519';
  private readonly uv: boolean;

  constructor(options: SoftPasskeyOptions = {}) {
    this.alg = options.alg ?? 'ES256';
    this.uv = options.uv ?? true;
  }

  /** The credential id as the browser names it. */
  get id(): string {
    return b64url(this.credentialId);
  }

  /** The same credential (key and id) on another authenticator, with its own counter: a cloned authenticator. */
  clone(counter = 0): SoftPasskey {
    const copy = new SoftPasskey({ alg: this.alg, uv: this.uv });
    Object.assign(copy, { credentialId: this.credentialId, key: this.key, coseKey: this.coseKey, userHandle: this.userHandle, rpId: this.rpId, counter });
    return copy;
  }

  /** The browser's `RegistrationResponseJSON` for `options`, made on `origin`. */
  register(options: CreationOptions, origin: string, tamper: Tamper = {}): RegistrationResponseJSON {
    if (this.alg === 'Ed25519') {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      this.key = privateKey;
      const jwk = publicKey.export({ format: 'jwk' }) as { x: string };
      this.coseKey = cbor(new Map<number, unknown>([[1, 1], [3, -8], [-1, 6], [-2, new Uint8Array(Buffer.from(jwk.x, 'base64url'))]]));
    } else {
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      this.key = privateKey;
      const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
      this.coseKey = cbor(
        new Map<number, unknown>([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, new Uint8Array(Buffer.from(jwk.x, 'base64url'))],
          [-3, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
        ]),
      );
    }
    this.credentialId = new Uint8Array(createHash('sha256').update(this.coseKey).digest());
    this.userHandle = options.user.id;
    this.rpId = options.rp.id ?? new URL(origin).hostname;
    this.step();
    const idLength = Buffer.from([this.credentialId.length >> 8, this.credentialId.length & 0xff]);
    const flags = UP | (this.uv ? UV : 0) | AT;
    const authData = Buffer.concat([this.rpIdHash(tamper.rpId), Buffer.from([flags]), this.counterBytes(), Buffer.alloc(16), idLength, this.credentialId, this.coseKey]);
    const clientData = this.clientData(tamper.type ?? 'webauthn.create', tamper.challenge ?? options.challenge, tamper.origin ?? origin);
    const attestation = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]));
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestation), transports: ['internal', 'hybrid'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The browser's `AuthenticationResponseJSON` for `options`, made on `origin`. */
  login(options: RequestOptions, origin: string, tamper: Tamper = {}): AuthenticationResponseJSON {
    if (this.key === null) throw new Error('register first');
    this.step();
    const flags = UP | (this.uv ? UV : 0);
    const authData = Buffer.concat([this.rpIdHash(tamper.rpId), Buffer.from([flags]), this.counterBytes()]);
    const clientData = this.clientData(tamper.type ?? 'webauthn.get', tamper.challenge ?? options.challenge, tamper.origin ?? origin);
    const signed = Buffer.concat([authData, createHash('sha256').update(clientData).digest()]);
    const signature = this.alg === 'Ed25519' ? sign(null, signed, this.key) : sign('sha256', signed, { key: this.key, dsaEncoding: 'der' });
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: this.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private step(): void {
    if (this.counting) this.counter += 1;
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  private rpIdHash(rpId = this.rpId): Buffer {
    return createHash('sha256').update(rpId).digest();
  }

  private counterBytes(): Buffer {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(this.counting ? this.counter : 0);
    return bytes;
  }
}
