import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { connectHost } from '../../src/orchestrator/hosts.js';
import { TimeoutError } from '../../src/shared/errors.js';
import { settingsFrom } from '../support/settings.js';

// GIVEN the local Docker Engine and the Debian base image `gyre images build` makes, WHEN a
// container runs past its time limit, or containers and networks of a label outlive the command
// that made them, THEN runToEnd stops and removes it, and removeLeftovers removes only those older
// than the age given.

const IMAGE = settingsFrom({}).images.baseDebian;
const label = `io.gyre.test-leftovers-${randomBytes(3).toString('hex')}`;
const docker = new Docker();
const labelled = async () =>
  (await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) })).map((c) => c.Names[0]);

afterAll(async () => {
  for (const c of await docker.listContainers({ all: true, filters: JSON.stringify({ label: [label] }) }))
    await docker.getContainer(c.Id).remove({ force: true });
  for (const n of await docker.listNetworks({ filters: JSON.stringify({ label: [label] }) }))
    await docker.getNetwork(n.Id).remove();
});

describe('containers a command runs', () => {
  it('runToEnd stops a container past its time limit, removes it and says what it waited for', async () => {
    const { docker: client } = await connectHost(undefined);
    const started = Date.now();
    const run = client.containers.runToEnd({
      name: `${label.slice(8)}-slow`,
      image: IMAGE,
      cmd: ['sleep', '60'],
      labels: { [label]: 'slow' },
      timeoutMs: 1_500,
    });
    await expect(run).rejects.toThrow(TimeoutError);
    await expect(run).rejects.toThrow(/container .*-slow to finish/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await labelled()).toEqual([]);
  }, 60_000);

  it('removeLeftovers removes labelled containers and networks older than the age given, not younger ones', async () => {
    const { docker: client } = await connectHost(undefined);
    const containers = client.containers;
    const old = `${label.slice(8)}-old`;
    await containers.createNetwork(old, { [label]: 'old' });
    await containers.run({ name: old, image: IMAGE, cmd: ['sleep', '300'], labels: { [label]: 'old' } });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const young = `${label.slice(8)}-young`;
    await containers.run({ name: young, image: IMAGE, cmd: ['sleep', '300'], labels: { [label]: 'young' } });

    expect(await containers.removeLeftovers(label, 2_000)).toBe(1);

    expect(await labelled()).toEqual([`/${young}`]);
    expect((await docker.listNetworks({ filters: JSON.stringify({ label: [label] }) })).map((n) => n.Name)).toEqual([]);
  }, 60_000);
});
