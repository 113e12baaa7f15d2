import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import {
  drainBuilder,
  planRemove,
  successorName,
  waitUntilDrained,
} from '../../../src/orchestrator/builders/fleet-actions.js';
import { StateFolder } from '../../../src/orchestrator/state-folder.js';
import { ConflictError, NotFoundError, TimeoutError } from '../../../src/shared/errors.js';
import { FakeGyreApi, fleetBuilder } from './fake-gyre-api.js';

/** The rule builder names follow (src/config/values.ts). */
const BUILDER_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

describe('successorName', () => {
  it.each([
    { name: 'b1', successor: 'b1-r1' },
    { name: 'b1-r1', successor: 'b1-r2' },
    { name: 'b1-r9', successor: 'b1-r10' },
    { name: 'gpu-builder-r41', successor: 'gpu-builder-r42' },
    { name: 'r1', successor: 'r1-r1' },
    { name: 'b1-rx', successor: 'b1-rx-r1' },
  ])('names the successor of $name $successor', ({ name, successor }) => {
    expect(successorName(name)).toBe(successor);
  });

  describe('for names too long for a suffix', () => {
    beforeEach(() => {
      jest.useFakeTimers({ now: new Date('2025-03-01T12:00:01.234Z') });
    });
    afterEach(() => {
      jest.useRealTimers();
    });

    it.each([
      { case: 'a 40-character name', name: 'a'.repeat(40) },
      { case: 'a 38-character name (38 + "-r1" is 41)', name: `builder-${'x'.repeat(30)}` },
      { case: 'a 40-character name ending in -r99', name: `${'c'.repeat(36)}-r99` },
      { case: 'a name whose 34th character is a dash', name: `${'d'.repeat(33)}-${'e'.repeat(6)}` },
    ])('keeps $case within 40 characters and valid, with a new name', ({ name }) => {
      const successor = successorName(name);
      expect(successor.length).toBeLessThanOrEqual(40);
      expect(successor).toMatch(BUILDER_NAME);
      expect(successor).not.toBe(name);
      expect(successor.startsWith(name.slice(0, 34))).toBe(true);
    });

    it('gives a shortened name a successor of its own on the next roll', () => {
      const first = successorName('a'.repeat(40));
      const second = successorName(first);
      expect(second).toMatch(BUILDER_NAME);
      expect(second.length).toBeLessThanOrEqual(40);
      expect(second).not.toBe(first);
    });
  });
});

describe('drainBuilder', () => {
  it('gives a new name even for a 40-character name that already ends in a high suffix', () => {
    const name = `${'a'.repeat(34)}-r9999`;
    const next = successorName(name);
    expect(next).not.toBe(name);
    expect(next).toMatch(/^[a-z0-9][a-z0-9-]{0,39}$/);
    expect(next.endsWith('-r10000')).toBe(true);
  });

  it('asks the API to drain the named builder, by its id, with the deadline given', async () => {
    const api = new FakeGyreApi([[fleetBuilder({ id: 3, name: 'b0' }), fleetBuilder({ id: 7, name: 'b1' })]]);

    const drained = await drainBuilder(api, 'b1', 600);

    expect(api.calls).toEqual(['builders', 'drain 7 600']);
    expect(drained).toMatchObject({ id: 7, name: 'b1', state: 'draining' });
  });

  it('fails with a NotFoundError listing the known builders, revoked ones left out, and drains nothing', async () => {
    const api = new FakeGyreApi([
      [
        fleetBuilder({ id: 1, name: 'b0' }),
        fleetBuilder({ id: 2, name: 'b2' }),
        fleetBuilder({ id: 3, name: 'old', state: 'revoked' }),
      ],
    ]);

    const drain = drainBuilder(api, 'b9', 600);

    await expect(drain).rejects.toThrow(NotFoundError);
    await expect(drainBuilder(api, 'b9', 600)).rejects.toThrow('builder "b9" (known builders: b0, b2) does not exist');
    expect(api.calls.filter((call) => call.startsWith('drain'))).toEqual([]);
  });

  it('treats a revoked builder as unknown', async () => {
    const api = new FakeGyreApi([[fleetBuilder({ id: 3, name: 'b1', state: 'revoked' })]]);

    await expect(drainBuilder(api, 'b1', 60)).rejects.toThrow('builder "b1" (known builders: none) does not exist');
  });
});

describe('waitUntilDrained', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2025-03-01T12:00:00.000Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('polls until the builder is drained, reporting each change once', async () => {
    const deadline = '2025-03-01T12:10:00.000Z';
    const api = new FakeGyreApi([
      [fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 2, drainDeadline: deadline })],
      [fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 2, drainDeadline: deadline })],
      [fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 1, drainDeadline: deadline })],
      [fleetBuilder({ id: 7, name: 'b1', state: 'drained', runningJobs: 0 })],
    ]);
    const lines: string[] = [];

    const waiting = waitUntilDrained(api, 'b1', (line) => lines.push(line));
    await jest.advanceTimersByTimeAsync(5_000);

    await expect(waiting).resolves.toMatchObject({ id: 7, state: 'drained' });
    expect(lines).toEqual([
      `b1: draining, 2 job(s) running, deadline ${deadline}`,
      `b1: draining, 1 job(s) running, deadline ${deadline}`,
      'b1: drained, 0 job(s) running',
    ]);
    expect(api.calls).toEqual(['builders', 'builders', 'builders', 'builders']);
  });

  it('returns at once when the builder is already drained', async () => {
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'drained' })]]);
    const lines: string[] = [];

    await expect(waitUntilDrained(api, 'b1', (line) => lines.push(line))).resolves.toMatchObject({ state: 'drained' });
    expect(lines).toEqual(['b1: drained, 0 job(s) running']);
    expect(api.calls).toEqual(['builders']);
  });

  it('fails with a ConflictError when the drain is cancelled (the builder is active again)', async () => {
    const api = new FakeGyreApi([
      [fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 1 })],
      [fleetBuilder({ id: 7, name: 'b1', state: 'active', runningJobs: 1 })],
    ]);

    const waiting = waitUntilDrained(api, 'b1', () => undefined);
    const outcome = expect(waiting).rejects.toThrow(new ConflictError('the drain of b1 was cancelled while waiting'));
    await jest.advanceTimersByTimeAsync(2_000);
    await outcome;
  });

  it('fails with a TimeoutError naming the builder when it is not drained in time', async () => {
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 1 })]]);

    const waiting = waitUntilDrained(api, 'b1', () => undefined, 3_000);
    const outcome = expect(waiting).rejects.toThrow(TimeoutError);
    await jest.advanceTimersByTimeAsync(5_000);
    await outcome;
    await expect(waiting).rejects.toThrow(/waiting for builder b1 to be drained/);
  });

  it('fails with a NotFoundError when the builder disappears while waiting', async () => {
    const api = new FakeGyreApi([
      [fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 1 })],
      [fleetBuilder({ id: 7, name: 'b1', state: 'revoked' })],
    ]);

    const waiting = waitUntilDrained(api, 'b1', () => undefined);
    const outcome = expect(waiting).rejects.toThrow(NotFoundError);
    await jest.advanceTimersByTimeAsync(2_000);
    await outcome;
  });
});

describe('planRemove: checking the builder', () => {
  let dir: string;
  let stateFolder: StateFolder;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gyre-stateFolder-'));
    stateFolder = new StateFolder(dir);
  });
  afterEach(() => {
    jest.useRealTimers();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs only the first step (the check); the others need a Docker host. */
  async function runCheck(
    api: FakeGyreApi,
    name: string,
    force: boolean,
    onLine: (line: string) => void = () => undefined,
  ): Promise<string> {
    const [check] = planRemove({ api, stateFolder, name, force });
    return check!.run(onLine);
  }

  it('passes a drained builder whose host the stateFolder knows, without draining it again', async () => {
    stateFolder.saveBuilderHost({
      name: 'b1',
      host: 'tcp://10.0.0.5:2375',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'drained' })]]);

    await expect(runCheck(api, 'b1', false)).resolves.toBe('b1 is drained on tcp://10.0.0.5:2375');
    expect(api.calls).toEqual(['builders']);
  });

  it('passes a lost builder, naming the local host when it was joined without --host', async () => {
    stateFolder.saveBuilderHost({
      name: 'b1',
      host: '',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'lost', runningJobs: 1 })]]);

    await expect(runCheck(api, 'b1', false)).resolves.toBe('b1 is lost on the local host');
    expect(api.calls).toEqual(['builders']);
  });

  it('refuses an active builder without --force, saying how to drain it, and changes nothing', async () => {
    stateFolder.saveBuilderHost({
      name: 'b1',
      host: 'tcp://10.0.0.5:2375',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'active', runningJobs: 2 })]]);

    const check = runCheck(api, 'b1', false);

    await expect(check).rejects.toThrow(ConflictError);
    await expect(runCheck(api, 'b1', false)).rejects.toThrow(
      'builder b1 is active with 2 job(s); drain it first (`gyre builder drain b1 --wait`) or pass --force to stop its jobs now (they are requeued)',
    );
    expect(api.calls.filter((call) => call !== 'builders')).toEqual([]);
    expect(stateFolder.builderHost('b1')).toBeDefined();
  });

  it('with --force, drains an active builder with a zero deadline and waits until it is drained', async () => {
    jest.useFakeTimers({ now: new Date('2025-03-01T12:00:00.000Z') });
    stateFolder.saveBuilderHost({
      name: 'b1',
      host: 'tcp://10.0.0.5:2375',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([
      [fleetBuilder({ id: 7, name: 'b1', state: 'active', runningJobs: 2 })],
      [
        fleetBuilder({
          id: 7,
          name: 'b1',
          state: 'draining',
          runningJobs: 2,
          drainDeadline: '2025-03-01T12:00:00.000Z',
        }),
      ],
      [fleetBuilder({ id: 7, name: 'b1', state: 'drained', runningJobs: 0 })],
    ]);
    const lines: string[] = [];

    const check = runCheck(api, 'b1', true, (line) => lines.push(line));
    await jest.advanceTimersByTimeAsync(2_000);

    await expect(check).resolves.toBe('b1 is drained on tcp://10.0.0.5:2375');
    expect(api.calls).toEqual(['builders', 'drain 7 0', 'builders', 'builders']);
    expect(lines).toEqual([
      'b1: draining, 2 job(s) running, deadline 2025-03-01T12:00:00.000Z',
      'b1: drained, 0 job(s) running',
    ]);
  });

  it('with --force, gives up with a TimeoutError when the builder is not drained within two minutes', async () => {
    jest.useFakeTimers({ now: new Date('2025-03-01T12:00:00.000Z') });
    stateFolder.saveBuilderHost({
      name: 'b1',
      host: 'tcp://10.0.0.5:2375',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([
      [fleetBuilder({ id: 7, name: 'b1', state: 'active', runningJobs: 1 })],
      [fleetBuilder({ id: 7, name: 'b1', state: 'draining', runningJobs: 1 })],
    ]);

    const check = runCheck(api, 'b1', true);
    const outcome = expect(check).rejects.toThrow(TimeoutError);
    await jest.advanceTimersByTimeAsync(121_000);
    await outcome;
  });

  it('fails with a NotFoundError listing the known builders when the name is unknown', async () => {
    stateFolder.saveBuilderHost({
      name: 'b9',
      host: '',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([[fleetBuilder({ id: 1, name: 'b0' }), fleetBuilder({ id: 2, name: 'b1' })]]);

    const check = runCheck(api, 'b9', true);

    await expect(check).rejects.toThrow(NotFoundError);
    await expect(runCheck(api, 'b9', true)).rejects.toThrow('known builders: b0, b1');
    expect(api.calls.filter((call) => call !== 'builders')).toEqual([]);
  });

  it('refuses a builder this stateFolder has no host record for, saying how to remove its stack by hand', async () => {
    stateFolder.saveBuilderHost({
      name: 'other',
      host: '',
      apiPort: 7001,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'drained' })]]);

    const check = runCheck(api, 'b1', true);

    await expect(check).rejects.toThrow(NotFoundError);
    await expect(runCheck(api, 'b1', true)).rejects.toThrow(
      `the Docker host of builder b1 in ${dir} (it was not joined from here); remove its stack on its host with \`docker compose -p gyre-builder-b1 down --volumes\`, then revoke it`,
    );
    expect(api.calls.filter((call) => call !== 'builders')).toEqual([]);
  });

  it('refuses an active builder with no host record before draining it, even with --force', async () => {
    const api = new FakeGyreApi([[fleetBuilder({ id: 7, name: 'b1', state: 'active', runningJobs: 2 })]]);

    await expect(runCheck(api, 'b1', true)).rejects.toThrow(NotFoundError);
    expect(api.calls).toEqual(['builders']);
  });
});
