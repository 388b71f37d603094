// TEMPORARY (until the gate part of issue 15 is merged): the contract's passkey
// methods bolted onto a real gate with @simplewebauthn/server and in-memory
// maps, only to debug the pages and the script in Chromium. The final tests use
// the real gate; this file is deleted at the merge.
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { generateSecret, totp, type Gate, type GateEvent } from '../../src/index.js';

interface Cred {
  id: string;
  publicKey: Uint8Array<ArrayBuffer>;
  counter: number;
  label: string;
  createdAt: number;
}

export function withFakePasskeys(gate: Gate, events: GateEvent[]): Gate {
  const creds = new Map<string, Cred[]>();
  const pending = new Map<string, { challenge: string; origin: string | readonly string[]; rpId: string; label: string }>();
  const secrets = new Map<string, string>();
  const mine = (userId: string) => creds.get(userId) ?? [];
  const fake = {
    ...gate,
    async beginPasskeyRegistration(userId: string, o: { rpId: string; rpName?: string; origin: string | readonly string[]; label?: string; userName?: string }) {
      const options = await generateRegistrationOptions({
        rpName: o.rpName ?? o.rpId,
        rpID: o.rpId,
        userName: o.userName ?? userId,
        userID: new Uint8Array(new TextEncoder().encode(userId)),
        attestationType: 'none',
        excludeCredentials: mine(userId).map((c) => ({ id: c.id })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      });
      pending.set(userId, { challenge: options.challenge, origin: o.origin, rpId: o.rpId, label: o.label ?? 'Passkey' });
      return options;
    },
    async confirmPasskeyRegistration(userId: string, response: RegistrationResponseJSON) {
      const p = pending.get(userId);
      if (p === undefined) return { ok: false, reason: 'no-challenge' };
      pending.delete(userId);
      try {
        const r = await verifyRegistrationResponse({ response, expectedChallenge: p.challenge, expectedOrigin: [...[p.origin].flat()], expectedRPID: p.rpId });
        if (!r.verified) return { ok: false, reason: 'invalid' };
        creds.set(userId, [...mine(userId), { id: r.registrationInfo.credential.id, publicKey: r.registrationInfo.credential.publicKey, counter: r.registrationInfo.credential.counter, label: p.label, createdAt: Date.now() }]);
      } catch {
        return { ok: false, reason: 'invalid' };
      }
      if ((await gate.status(userId)).state !== 'enrolled') {
        const secret = generateSecret();
        secrets.set(userId, secret);
        await gate.importEnrollment(userId, { secret, label: 'fake', lastStep: 0 });
        const codes = await gate.regenerateRecoveryCodes(userId, { code: totp(secret) });
        return { ok: true, authenticatorId: 'pk', recoveryCodes: codes.ok ? codes.recoveryCodes : [] };
      }
      return { ok: true, authenticatorId: mine(userId).at(-1)!.id };
    },
    async beginPasskeyLogin(userId: string, o: { rpId: string; origin: string | readonly string[] }) {
      const options = await generateAuthenticationOptions({ rpID: o.rpId, allowCredentials: mine(userId).map((c) => ({ id: c.id })), userVerification: 'preferred' });
      pending.set(userId, { challenge: options.challenge, origin: o.origin, rpId: o.rpId, label: '' });
      return options;
    },
    async verifyPasskey(userId: string, response: AuthenticationResponseJSON) {
      const p = pending.get(userId);
      const c = mine(userId).find((x) => x.id === response.id);
      if (p === undefined || c === undefined) return { ok: false, reason: 'invalid' };
      pending.delete(userId);
      try {
        const r = await verifyAuthenticationResponse({ response, expectedChallenge: p.challenge, expectedOrigin: [...[p.origin].flat()], expectedRPID: p.rpId, credential: { id: c.id, publicKey: c.publicKey, counter: c.counter } });
        if (!r.verified) return { ok: false, reason: 'invalid' };
        c.counter = r.authenticationInfo.newCounter;
        return { ok: true, method: 'passkey', recoveryCodesLeft: 10 };
      } catch (error) {
        if (/counter/.test(String(error))) events.push({ type: 'passkey-cloned', userId, authenticatorId: c.id } as unknown as GateEvent);
        return { ok: false, reason: 'invalid' };
      }
    },
    async reset(adminId: string, userId: string, options?: object) {
      const r = await gate.reset(adminId, userId, options);
      if (r.ok) creds.delete(userId);
      return r;
    },
    async authenticators(userId: string) {
      const apps = (await gate.authenticators(userId)).filter((a) => a.label !== 'fake');
      return [...apps, ...mine(userId).map((c) => ({ id: c.id, type: 'passkey', label: c.label, createdAt: c.createdAt, lastUsedAt: null }))];
    },
    async status(userId: string, options?: object) {
      const s = await gate.status(userId, options);
      return { ...s, authenticators: await fake.authenticators(userId) };
    },
  };
  return fake as unknown as Gate;
}
