// Step 3 of the article with outside tools standing in for the phone: the
// QR code from beginEnrollment is rendered by rsvg-convert and read by
// zbarimg, the URI is loaded by another library (otpauth), and the codes it
// and oathtool compute are what the gate accepts.
import { execFileSync } from 'node:child_process';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { decodeImages, hasTool, missingQrTools, renderSvgs, withTempDir } from '../enrollment/tools.js';
import { harness } from './harness.js';

describe.skipIf(missingQrTools)(`enrollment scanned from the QR code ${missingQrTools ? `(skipped: ${missingQrTools})` : ''}`, () => {
  it('the app that scans the QR code produces codes the gate accepts', async () => {
    const h = harness({ policy: { code: { digits: 8, algorithm: 'SHA256', period: 60 } } });
    const enrollment = await h.gate.beginEnrollment('alice');
    const [scanned] = withTempDir((dir) => decodeImages(renderSvgs(dir, [enrollment.qrSvg])));
    expect(scanned).toEqual([enrollment.uri]);

    const app = OTPAuth.URI.parse(scanned![0]!);
    expect(app).toBeInstanceOf(OTPAuth.TOTP);
    const phone = app as OTPAuth.TOTP;
    expect({ issuer: phone.issuer, label: phone.label, digits: phone.digits, period: phone.period, algorithm: phone.algorithm }).toEqual({
      issuer: 'ACME Co',
      label: 'alice@acme.example',
      digits: 8,
      period: 60,
      algorithm: 'SHA256',
    });
    expect(await h.gate.confirmEnrollment('alice', phone.generate({ timestamp: h.now }))).toMatchObject({ ok: true });
    h.advance(60_000);
    expect(await h.gate.verify('alice', phone.generate({ timestamp: h.now }))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
  });
});

describe.skipIf(!hasTool('oathtool'))(`codes from oathtool ${hasTool('oathtool') ? '' : '(skipped: oathtool is not installed)'}`, () => {
  it('a key typed in from "Unable to scan?" gives oathtool codes the gate accepts', async () => {
    const h = harness();
    const { manualKey } = await h.gate.beginEnrollment('alice');
    const oathtool = (at: number) =>
      execFileSync('oathtool', ['--totp', '--base32', manualKey.replaceAll(' ', ''), '--now', new Date(at).toISOString().replace('.000Z', 'Z')], {
        encoding: 'utf8',
      }).trim();
    expect(await h.gate.confirmEnrollment('alice', oathtool(h.now))).toMatchObject({ ok: true });
    h.advance(30_000);
    expect(await h.gate.verify('alice', oathtool(h.now))).toEqual({ ok: true, method: 'totp', recoveryCodesLeft: 10 });
    expect(await h.gate.verify('alice', oathtool(h.now))).toEqual({ ok: false, reason: 'replayed' });
  });
});
