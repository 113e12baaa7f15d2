import { describe, expect, it } from '@jest/globals';
import {
  backupCheck,
  buildersCheck,
  certificateCheck,
  clockCheck,
  diskCheck,
} from '../../../../src/orchestrator/doctor/doctor-checks.js';
import { parseDf } from '../../../../src/orchestrator/doctor/run-doctor.js';
import type { BuilderResponse } from '../../../../src/api/responses.js';

const GIB = 1024 ** 3;
const NOW = new Date('2026-12-07T10:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

describe("gyre doctor's judgements", () => {
  it('reads df -Pk', () => {
    const out =
      'Filesystem     1024-blocks     Used Available Capacity Mounted on\n/dev/sda1       41152736 30000000  11152736      73% /var/lib/gyre\n';
    expect(parseDf(out)).toEqual({ totalBytes: 41152736 * 1024, availableBytes: 11152736 * 1024 });
    expect(() => parseDf('df: /nope: No such file or directory')).toThrow('unexpected output');
  });

  it('fails a disk under 1 GiB or 5% free, warns under 5 GiB or 15%, and says what to free', () => {
    expect(diskCheck('data disk', 'the data volume', { availableBytes: 0, totalBytes: 100 * GIB })).toMatchObject({
      status: 'fail',
      detail: 'the data volume: only 0 bytes free of 100 GiB (0%)',
      fix: expect.stringContaining('GYRE_ARTIFACT_MAX_AGE_DAYS'),
    });
    expect(diskCheck('d', 'v', { availableBytes: 4 * GIB, totalBytes: 100 * GIB }).status).toBe('fail');
    expect(diskCheck('d', 'v', { availableBytes: 10 * GIB, totalBytes: 100 * GIB }).status).toBe('warn');
    expect(diskCheck('d', 'v', { availableBytes: 40 * GIB, totalBytes: 100 * GIB })).toMatchObject({ status: 'ok' });
  });

  it('fails an expired or not yet valid certificate and warns 30 days ahead', () => {
    const cert = (fromDays: number, toDays: number) => ({
      subject: 'the certificate of ci.example.com',
      validFrom: new Date(NOW.getTime() + fromDays * DAY),
      validTo: new Date(NOW.getTime() + toDays * DAY),
    });
    expect(certificateCheck(cert(-400, -1), NOW)).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^the certificate of ci\.example\.com expired at 2026-12-06/),
      fix: expect.stringContaining('GYRE_TLS_CERT_FILE'),
    });
    expect(certificateCheck(cert(1, 400), NOW)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('is not valid before'),
    });
    expect(certificateCheck(cert(-10, 20), NOW)).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('expires in 20 days'),
    });
    expect(certificateCheck(cert(-10, 200), NOW).status).toBe('ok');
    expect(certificateCheck({ ...cert(-10, 200), validTo: new Date('not a date') }, NOW)).toMatchObject({
      status: 'fail',
      detail: 'the certificate of ci.example.com has dates that cannot be read',
    });
  });

  it('fails lost builders, warns without one taking jobs or on another version', () => {
    const b = (name: string, state: BuilderResponse['state'], version = '0.1.0') => ({
      name,
      state,
      version,
      lastSeenAt: '2026-12-07T09:00:00Z',
    });
    expect(buildersCheck([b('a', 'active'), b('b', 'lost')], '0.1.0')).toMatchObject({
      status: 'fail',
      detail: 'b (last seen 2026-12-07T09:00:00Z) is lost',
    });
    expect(buildersCheck([], '0.1.0')).toMatchObject({ status: 'warn', detail: 'no builder has joined: jobs wait' });
    expect(buildersCheck([b('a', 'drained')], '0.1.0').status).toBe('warn');
    expect(buildersCheck([b('a', 'active', '0.0.9')], '0.1.0')).toMatchObject({
      status: 'warn',
      detail: 'a runs 0.0.9; the services box runs 0.1.0',
      fix: expect.stringContaining('gyre builder roll'),
    });
    expect(buildersCheck([b('a', 'active'), b('old', 'revoked', '0.0.1')], '0.1.0').status).toBe('ok');
  });

  it("warns of a builder host's clock more than 5 s off the services host's", () => {
    expect(clockCheck(1_000, [{ name: 'b1', offsetMs: 8_000 }])).toMatchObject({
      status: 'warn',
      detail: "b1's host is 7.0 s off the services host",
    });
    expect(clockCheck(1_000, [{ name: 'b1', offsetMs: 0 }]).status).toBe('ok');
    expect(clockCheck(0, []).status).toBe('skip');
  });

  it('warns without a backup, or an old or unverified one, and fails one that failed verification', () => {
    expect(backupCheck(undefined, NOW).status).toBe('warn');
    const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
    expect(backupCheck({ backup: '/b/1', createdAt: at(1), verified: true }, NOW)).toMatchObject({
      status: 'ok',
      detail: '/b/1, 1 day(s) old, verified',
    });
    expect(backupCheck({ backup: '/b/1', createdAt: at(1) }, NOW).status).toBe('warn');
    expect(backupCheck({ backup: '/b/1', createdAt: at(8), verified: true }, NOW).status).toBe('warn');
    expect(backupCheck({ backup: '/b/1', createdAt: at(1), verified: false }, NOW)).toMatchObject({
      status: 'fail',
      detail: '/b/1, 1 day(s) old, FAILED its verification',
    });
  });
});
