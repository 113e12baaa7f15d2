import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  parseSignatureHeader,
  signGitHubBody,
  verifyGitHubSignature,
} from '../../../../../src/services/core/webhooks/index.js';
import { examplesOf } from '../../../../support/github-examples.js';

const secret = "It's a Secret to Everybody";
const body = Buffer.from(JSON.stringify(examplesOf('push')[0]));
const goodHeader = signGitHubBody(body, secret);

describe('verifyGitHubSignature', () => {
  it("accepts the example from GitHub's documentation", () => {
    // docs.github.com "Validating webhook deliveries" test values.
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyGitHubSignature(Buffer.from('Hello, World!'), header, secret)).toEqual({ ok: true });
  });

  it('accepts a real push payload signed with the project secret', () => {
    expect(verifyGitHubSignature(body, goodHeader, secret)).toEqual({ ok: true });
  });

  it('accepts upper-case hex and surrounding spaces', () => {
    expect(verifyGitHubSignature(body, ` sha256=${goodHeader.slice(7).toUpperCase()} `, secret)).toEqual({ ok: true });
  });

  it('refuses a signature made with another secret and says which secrets to compare', () => {
    const check = verifyGitHubSignature(body, signGitHubBody(body, 'another secret'), secret);
    expect(check).toEqual({
      ok: false,
      problem: 'mismatch',
      message: expect.stringMatching(
        /X-Hub-Signature-256 does not match the body: the secret in the GitHub webhook settings differs/,
      ),
    });
  });

  it.each([0, 1, Math.floor(body.length / 2), body.length - 1])('refuses a body with byte %i changed', (index) => {
    const tampered = Buffer.from(body);
    tampered[index]! ^= 0x01;
    expect(verifyGitHubSignature(tampered, goodHeader, secret)).toMatchObject({ ok: false, problem: 'mismatch' });
  });

  it('refuses a body with one byte added or removed', () => {
    expect(verifyGitHubSignature(Buffer.concat([body, Buffer.from(' ')]), goodHeader, secret)).toMatchObject({
      problem: 'mismatch',
    });
    expect(verifyGitHubSignature(body.subarray(0, -1), goodHeader, secret)).toMatchObject({ problem: 'mismatch' });
  });

  it.each([undefined, '', '   '])('says the header is missing when it is %j, and how to make GitHub sign', (header) => {
    expect(verifyGitHubSignature(body, header, secret)).toEqual({
      ok: false,
      problem: 'missing',
      message: expect.stringMatching(
        /X-Hub-Signature-256 header is missing: set a secret in the GitHub webhook settings/,
      ),
    });
  });

  it('names a SHA-1 signature as such instead of calling it a mismatch', () => {
    const sha1 = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    expect(verifyGitHubSignature(body, sha1, secret)).toEqual({
      ok: false,
      problem: 'malformed',
      message: expect.stringMatching(/holds a SHA-1 signature .*accepts only SHA-256/),
    });
  });

  it.each([
    { header: goodHeader.slice(7), why: /does not start with sha256=/ },
    { header: `md5=${'a'.repeat(32)}`, why: /does not start with sha256=/ },
    { header: 'sha256=', why: /is 0 characters long/ },
    { header: goodHeader.slice(0, -1), why: /is 63 characters long/ },
    { header: `${goodHeader}00`, why: /is 66 characters long/ },
    { header: `sha256=${'g'.repeat(64)}`, why: /contains characters that are not hexadecimal/ },
    { header: `sha256=${goodHeader.slice(7, -1)}z`, why: /contains characters that are not hexadecimal/ },
  ])('calls $header malformed: $why', ({ header, why }) => {
    const check = verifyGitHubSignature(body, header, secret);
    expect(check).toMatchObject({ ok: false, problem: 'malformed' });
    expect(check.ok ? '' : check.message).toMatch(why);
    expect(check.ok ? '' : check.message).toMatch(/must look like sha256=<64 hex digits>/);
  });

  it('refuses to verify with an empty secret, which anyone could sign with', () => {
    const emptyKeyHeader = signGitHubBody(body, '');
    expect(verifyGitHubSignature(body, emptyKeyHeader, '')).toMatchObject({ ok: false, problem: 'no-secret' });
  });
});

describe('parseSignatureHeader', () => {
  it('returns the 32-byte digest of a well-formed header', () => {
    const parsed = parseSignatureHeader(goodHeader);
    expect(parsed.ok && parsed.digest.toString('hex')).toBe(goodHeader.slice(7));
  });
});
