import { describe, expect, it } from '@jest/globals';
import { JobSshAccessOnAgent, type SshDoor } from '../../../../../src/builder/agent/ssh/job-ssh.js';
import type { SshTarget } from '../../../../../src/builder/agent/ssh/ssh-gateway.js';
import type { SshReport } from '../../../../../src/protocol/index.js';

// GIVEN a rerun with SSH on the agent, a gateway that only records what it is told, and a clock
// the test moves, WHEN the job's steps have ended, THEN the job waits while someone is connected
// and for the idle window after, never past the longest wait, and reports each change.

const KEY = {
  publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA',
  fingerprint: `SHA256:${'a'.repeat(43)}`,
  account: 'ada',
};
const OTHER = { ...KEY, fingerprint: `SHA256:${'b'.repeat(43)}`, account: 'root' };
const LANDING = { container: 'c1', workdir: '/home/circleci/project', env: ['A=1'], services: { db: '10.0.0.2' } };

class RecordingDoor implements SshDoor {
  readonly allowed: { user: string; target: SshTarget }[] = [];
  readonly revoked: string[] = [];
  sessions = 0;
  /** Called at each look at the sessions, which is when the test's clock moves. */
  onLook: () => void = () => undefined;
  allow(user: string, target: SshTarget): void {
    this.allowed.push({ user, target });
  }
  revoke(user: string): void {
    this.revoked.push(user);
  }
  connected(): number {
    this.onLook();
    return this.sessions;
  }
}

/**
 * A job with a 10 s idle window and a 60 s longest wait, whose clock moves on by a second at
 * each look at the sessions; `script` sets the sessions for each second.
 */
function setUp(script: (second: number, door: RecordingDoor) => void = () => undefined) {
  const door = new RecordingDoor();
  const reports: Extract<SshReport['event'], { kind: 'held' }>[] = [];
  const start = 1_000_000;
  let now = start;
  door.onLook = () => {
    now += 1_000;
    script((now - start) / 1_000, door);
  };
  const access = new JobSshAccessOnAgent(door, {
    jobId: 42,
    lease: { keys: [KEY], idleSeconds: 10, maxSeconds: 60 },
    address: { host: 'builder-1.example', port: 64535 },
    report: (event) => reports.push(event),
    pollMs: 0,
    now: () => now,
  });
  const lines: string[] = [];
  /** Waits as the runner does after the steps; resolves to the seconds the job stayed up. */
  const tick = async (signal?: AbortSignal) => {
    await access.hold(signal, (line) => lines.push(line));
    return (now - start) / 1_000;
  };
  return { access, door, reports, lines, tick };
}

describe('JobSshAccessOnAgent', () => {
  it('lets the lease keys into the landing as job-<id>, follows renewed keys, and revokes on close', () => {
    const { access, door } = setUp();
    access.renewKeys([KEY, OTHER]); // before open: nothing to allow yet
    expect(door.allowed).toEqual([]);
    access.open(LANDING);
    access.renewKeys([OTHER]);
    access.close();
    access.renewKeys([KEY]); // after close: nothing is let in again
    expect(door.allowed).toEqual([
      { user: 'job-42', target: { ...LANDING, keys: [KEY, OTHER] } },
      { user: 'job-42', target: { ...LANDING, keys: [OTHER] } },
    ]);
    expect(door.revoked).toEqual(['job-42']);
    expect(access.command).toBe('ssh -p 64535 job-42@builder-1.example');
  });

  it('ends after the idle window when nobody connects, saying how to connect and why it ended', async () => {
    const { tick, reports, lines } = setUp();
    expect(await tick()).toBe(10);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ kind: 'held', connected: 0 });
    expect(Date.parse(reports[0]!.until) - Date.parse(reports[0]!.idleUntil)).toBe(50_000);
    expect(lines[0]).toContain('ssh -p 64535 job-42@builder-1.example');
    expect(lines.at(-1)).toMatch(/^Nobody was connected for 10s: the job ends\.$/);
  });

  it('stays up while a session is connected and for the idle window after it leaves, reporting each change', async () => {
    const { tick, reports } = setUp((second, door) => {
      if (second === 5) door.sessions = 1;
      if (second === 30) door.sessions = 0;
    });
    // Last seen connected at 29 s: 10 s more.
    expect(await tick()).toBe(39);
    expect(reports.map((r) => r.connected)).toEqual([0, 1, 0]);
    // While connected, the job stays up to the longest wait.
    expect(reports[1]!.idleUntil).toBe(reports[1]!.until);
  });

  it('ends at the longest wait even with a session connected', async () => {
    const { tick, lines } = setUp((_second, door) => {
      door.sessions = 1;
    });
    expect(await tick()).toBe(60);
    expect(lines.at(-1)).toBe('The longest wait for SSH (1m) is over: the job ends.');
  });

  it('ends when the job is canceled while it waits', async () => {
    const cancel = new AbortController();
    const { tick, lines, access } = setUp((second) => {
      if (second === 3) cancel.abort();
    });
    expect(await tick(cancel.signal)).toBe(3);
    expect(lines.at(-1)).toBe('The job is stopping (canceled, or its lease was lost): its SSH sessions end.');
    expect(access.holding).toBe(false);
  });

  it('ends early when released (a near drain deadline), saying why, even with a session connected', async () => {
    const { tick, lines, access } = setUp((second, door) => {
      door.sessions = 1;
      if (second === 4) access.release("The builder's drain deadline is near");
    });
    const waiting = tick();
    expect(access.holding).toBe(true);
    expect(await waiting).toBe(4);
    expect(lines.at(-1)).toBe("The builder's drain deadline is near: the job ends, and its SSH sessions with it.");
  });

  it('does not wait at all when released before the steps ended', async () => {
    const { tick, access } = setUp();
    access.release('The builder is stopping now');
    expect(await tick()).toBe(0);
  });

  it('waits in full again when a release before the wait is taken back (the drain was canceled)', async () => {
    const { tick, access } = setUp();
    access.release("The builder's drain deadline is near");
    access.resume();
    expect(await tick()).toBe(10);
  });

  it('holds from the start of its preparation, so that a stop meanwhile completes as the steps ended', async () => {
    const { access } = setUp();
    let holdingWhilePreparing = false;
    await access.hold(
      undefined,
      () => undefined,
      () => {
        holdingWhilePreparing = access.holding;
        access.release('The builder is stopping now');
        return Promise.resolve();
      },
    );
    expect(holdingWhilePreparing).toBe(true);
    expect(access.holding).toBe(false);
  });
});
