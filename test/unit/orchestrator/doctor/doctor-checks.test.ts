import { describe, expect, it } from '@jest/globals';
import {
  backupCheck,
  buildersCheck,
  certificateCheck,
  clockCheck,
  deliveriesCheck,
  diskCheck,
  gitHubCheck,
  joinSecretCheck,
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
    expect(backupCheck(undefined, undefined, NOW).status).toBe('warn');
    const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
    expect(backupCheck({ backup: '/b/1', createdAt: at(1), verified: true }, undefined, NOW)).toMatchObject({
      status: 'ok',
      detail: '/b/1, 1 day(s) old, verified',
    });
    expect(backupCheck({ backup: '/b/1', createdAt: at(1) }, undefined, NOW).status).toBe('warn');
    // Made after doctor took its time, while it read the rest:
    expect(backupCheck({ backup: '/b/1', createdAt: at(-0.0001), verified: true }, undefined, NOW)).toMatchObject({
      status: 'ok',
      detail: '/b/1, 0 day(s) old, verified',
    });
    expect(backupCheck({ backup: '/b/1', createdAt: at(8), verified: true }, undefined, NOW).status).toBe('warn');
    expect(backupCheck({ backup: '/b/1', createdAt: at(1), verified: false }, undefined, NOW)).toMatchObject({
      status: 'fail',
      detail: '/b/1, 1 day(s) old, FAILED its verification',
    });
  });

  describe('with scheduled backups', () => {
    const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
    const run = (days: number, state: 'succeeded' | 'failed' | 'running', error: string | null = null) => ({
      id: days,
      slot: at(days),
      name: `n${days}`,
      destination: '/var/lib/gyre/backups',
      state,
      startedAt: at(days),
      finishedAt: state === 'running' ? null : at(days),
      gyre: '0.1.0',
      schema: 29,
      databaseBytes: 1,
      blobs: 0,
      blobsAdded: 0,
      blobBytesAdded: 0,
      verification: state === 'succeeded' ? ('passed' as const) : null,
      verificationDetail: null,
      error,
    });
    const schedule = (...items: ReturnType<typeof run>[]) => ({
      schedule: '0 3 * * *',
      keep: 7,
      destination: '/var/lib/gyre/backups',
      items,
    });

    it('takes the newest backup, scheduled or made from this state folder', () => {
      expect(
        backupCheck({ backup: '/b/1', createdAt: at(9), verified: true }, schedule(run(1, 'succeeded')), NOW),
      ).toMatchObject({ status: 'ok', detail: '/var/lib/gyre/backups/n1, 1 day(s) old, verified' });
      expect(backupCheck({ backup: '/b/1', createdAt: at(0.5) }, schedule(run(1, 'succeeded')), NOW)).toMatchObject({
        status: 'warn',
        detail: '/b/1, 0 day(s) old, not verified',
      });
    });

    it('fails when the last scheduled run failed, naming why; a running one is passed over', () => {
      const failed = backupCheck(
        undefined,
        schedule(run(0.1, 'running'), run(1, 'failed', 'pg_dump exited with 1'), run(2, 'succeeded')),
        NOW,
      );
      expect(failed).toMatchObject({
        status: 'fail',
        detail: 'the last scheduled backup, n1, failed: pg_dump exited with 1',
        fix: expect.stringContaining("admin console's Backups page"),
      });
      // A backup made by hand since then is what counts
      expect(
        backupCheck({ backup: '/b/1', createdAt: at(0.5), verified: true }, schedule(run(1, 'failed')), NOW).status,
      ).toBe('ok');
    });

    it('warns of a run stuck past its deadline', () => {
      expect(backupCheck(undefined, schedule(run(0.5, 'running'), run(1, 'succeeded')), NOW)).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/^the scheduled backup n0.5 has run since .*, past its deadline/),
      });
      // A run within its deadline is passed over
      expect(backupCheck(undefined, schedule(run(0.1, 'running'), run(1, 'succeeded')), NOW).status).toBe('ok');
    });

    it('warns while the schedule has not run yet', () => {
      expect(backupCheck(undefined, schedule(), NOW)).toMatchObject({
        status: 'warn',
        detail: 'no backup yet: none from this state folder, and the schedule (0 3 * * *) has not run',
      });
    });
  });

  it('warns of a join secret over 90 days old, saying how to rotate it', () => {
    const at = (days: number) => new Date(NOW.getTime() - days * DAY).toISOString();
    expect(joinSecretCheck({ createdAt: at(10), previousValidUntil: null }, NOW)).toEqual({
      check: 'join secret',
      status: 'ok',
      detail: 'set 10 day(s) ago',
    });
    const old = joinSecretCheck({ createdAt: at(120), previousValidUntil: null }, NOW);
    expect(old).toMatchObject({ status: 'warn', detail: expect.stringContaining('set 120 day(s) ago, over 90 days') });
    expect(old.fix).toContain('POST /api/v1/join-secret/rotate');
  });

  describe('GitHub', () => {
    const answer = { configured: true, apiUrl: 'https://api.github.com', reachable: true, problem: null };
    it('is skipped when not configured, and fails when its API does not answer', () => {
      expect(
        gitHubCheck({ configured: false, apiUrl: null, reachable: null, problem: null, statusToken: null }).status,
      ).toBe('skip');
      expect(
        gitHubCheck({
          ...answer,
          reachable: false,
          problem: 'https://api.github.com did not answer: ECONNREFUSED',
          statusToken: null,
        }),
      ).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('ECONNREFUSED'),
        fix: expect.stringContaining('GYRE_HTTPS_PROXY'),
      });
    });

    it('passes a token that may post statuses, and fails one GitHub refuses or that lacks repo:status', () => {
      expect(
        gitHubCheck({
          ...answer,
          statusToken: { valid: true, login: 'gyre-bot', scopes: ['repo:status'], lacking: [] },
        }),
      ).toEqual({
        check: 'github',
        status: 'ok',
        detail: "https://api.github.com answers; the commit status token is gyre-bot's, scopes repo:status",
      });
      expect(
        gitHubCheck({
          ...answer,
          problem: 'GitHub answered 401 to the commit status token: Bad credentials',
          statusToken: { valid: false, login: null, scopes: null, lacking: [] },
        }),
      ).toMatchObject({
        status: 'fail',
        detail: expect.stringContaining('Bad credentials'),
        fix: expect.stringContaining('repo:status'),
      });
      expect(
        gitHubCheck({
          ...answer,
          problem: "the commit status token's scopes (read:user) lack repo:status",
          statusToken: { valid: true, login: 'gyre-bot', scopes: ['read:user'], lacking: ['repo:status'] },
        }).status,
      ).toBe('fail');
      expect(gitHubCheck({ ...answer, statusToken: null })).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining('no commit status token'),
      });
    });
  });

  it('warns of webhook deliveries answered with an error in the last day, naming the newest', () => {
    const delivery = (hoursAgo: number, statusCode: number | null, outcome: 'pipeline' | 'refused') => ({
      id: hoursAgo,
      deliveryId: `d${hoursAgo}`,
      event: 'push',
      projectId: 3,
      outcome,
      outcomeDetail: outcome === 'refused' ? 'acme/other is not the linked repository' : null,
      statusCode,
      pipelineId: null,
      receivedAt: new Date(NOW.getTime() - hoursAgo * 60 * 60 * 1000).toISOString(),
    });
    expect(deliveriesCheck([delivery(1, 202, 'pipeline'), delivery(30, 403, 'refused')], NOW)).toEqual({
      check: 'webhook deliveries',
      status: 'ok',
      detail: '1 in the last 24 h, none answered with an error',
    });
    const failing = deliveriesCheck(
      [delivery(1, 403, 'refused'), delivery(2, 202, 'pipeline'), delivery(3, 403, 'refused')],
      NOW,
    );
    expect(failing).toMatchObject({
      status: 'warn',
      detail:
        '2 of 3 in the last 24 h were answered with an error; the newest: push for project 3, 403 refused (acme/other is not the linked repository)',
      fix: expect.stringContaining('not linked to'),
    });
  });
});
