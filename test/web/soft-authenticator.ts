// A software WebAuthn authenticator for tests without a browser: it answers
// creation and request options (the JSON the gate makes) the way a platform
// authenticator does, with a P-256 key, attestation "none", user presence and
// verification, and a signature counter the test can set back (a clone). The
// Chromium tests (test/e2e/passkeys.test.ts) use a real browser's virtual
// authenticator; this one lets the flow's unit tests run in milliseconds.
import { createHash, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** The smallest CBOR encoder the attestation object needs (RFC 8949: unsigned and negative integers, bytes, text, maps). */
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
  if (value instanceof Map) {
    return Buffer.concat([head(5, value.size), ...[...value].flatMap(([k, v]) => [cbor(k), cbor(v)])]);
  }
  throw new Error(`cbor: cannot encode ${typeof value}`);
}

interface CreationOptions {
  readonly challenge: string;
  readonly rp: { readonly id?: string };
  readonly user: { readonly id: string };
}
interface RequestOptions {
  readonly challenge: string;
  readonly rpId?: string;
  readonly allowCredentials?: readonly { readonly id: string }[];
}

/**
 * One authenticator holding one credential (made by `register`). `counter`
 * is the signature counter the next answer carries, less one.
 */
export class SoftAuthenticator {
  counter = 0;
  credentialId: Uint8Array = new Uint8Array(0);
  private key: KeyObject | null = null;
  private publicJwk: { x: string; y: string } | null = null;
  private userHandle = '';
  private rpId = '';

  /** The same credential (key and id) on another authenticator, with its own counter: what the WebAuthn specification calls a cloned authenticator. */
  clone(counter = 0): SoftAuthenticator {
    const copy = new SoftAuthenticator();
    Object.assign(copy, { credentialId: this.credentialId, key: this.key, publicJwk: this.publicJwk, userHandle: this.userHandle, rpId: this.rpId, counter });
    return copy;
  }

  /** The browser's `RegistrationResponseJSON` for `options`, made on `origin`. */
  register(options: CreationOptions, origin: string): Record<string, unknown> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.key = privateKey;
    const jwk = publicKey.export({ format: 'jwk' }) as { x: string; y: string };
    this.publicJwk = jwk;
    this.credentialId = new Uint8Array(createHash('sha256').update(jwk.x).digest());
    this.userHandle = options.user.id;
    this.rpId = options.rp.id ?? new URL(origin).hostname;
    const coseKey = cbor(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, new Uint8Array(Buffer.from(jwk.x, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y, 'base64url'))],
      ]),
    );
    this.counter += 1;
    const idLength = Buffer.from([this.credentialId.length >> 8, this.credentialId.length & 0xff]);
    const authData = Buffer.concat([this.rpIdHash(), Buffer.from([0x45]), this.counterBytes(), Buffer.alloc(16), idLength, this.credentialId, coseKey]);
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
    const attestation = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', new Uint8Array(authData)]]));
    const id = b64url(this.credentialId);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), attestationObject: b64url(attestation), transports: ['internal'] },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** The browser's `AuthenticationResponseJSON` for `options`, made on `origin`. */
  login(options: RequestOptions, origin: string): Record<string, unknown> {
    if (this.key === null) throw new Error('register first');
    this.counter += 1;
    const authData = Buffer.concat([this.rpIdHash(), Buffer.from([0x05]), this.counterBytes()]);
    const clientData = Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }));
    const signature = sign('sha256', Buffer.concat([authData, createHash('sha256').update(clientData).digest()]), { key: this.key, dsaEncoding: 'der' });
    const id = b64url(this.credentialId);
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: { clientDataJSON: b64url(clientData), authenticatorData: b64url(authData), signature: b64url(signature), userHandle: this.userHandle },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  private rpIdHash(): Buffer {
    return createHash('sha256').update(this.rpId).digest();
  }

  private counterBytes(): Buffer {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(this.counter);
    return bytes;
  }
}
