import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { GitServer } from '../../src/testing/git-server.js';
import { shipImage, startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';

// GIVEN a Docker Engine installed afresh, as on a brand-new machine: its own namespace, no --bip,
// so that its default bridge lists no IPAM gateway. GyreEnvironment's git server runs on it.
const APP_IMAGE = 'gyre/app:0.1.0';
const LABELS = { 'io.gyre.test': 'git-server-fresh-engine' };
let engine: NetnsEngine;
let remote: Docker;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'gyre-fresh-engine-'));
  engine = await startNetnsEngine({ name: 'fresh14', subnet: '10.250.14' });
  remote = new Docker({ socketPath: engine.socketPath });
  await shipImage(engine, APP_IMAGE);
  // testcontainers, which the git server starts its container with, follows DOCKER_HOST.
  process.env['DOCKER_HOST'] = engine.socketUrl;
}, 300_000);

afterAll(async () => {
  delete process.env['DOCKER_HOST'];
  await engine?.stop();
  rmSync(work, { recursive: true, force: true });
}, 120_000);

describe('the git server of GyreEnvironment on a freshly installed engine', () => {
  it('serves a repository that a container on the default bridge clones', async () => {
    const ipam = (await remote.getNetwork('bridge').inspect()) as {
      IPAM: { Config: { Subnet?: string; Gateway?: string }[] };
    };
    expect(ipam.IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16' }]);

    const git = await GitServer.start(remote, { image: APP_IMAGE, labels: LABELS });
    try {
      expect(git.hostAddress).toBe('172.17.0.1');
      const folder = join(work, 'project');
      mkdirSync(folder);
      writeFileSync(join(folder, 'README'), 'hello from a fresh engine\n');
      const sha = await git.createFromFolder('fresh', folder, 'main');

      // WHEN a container on the default bridge clones it (this engine's host has no egress policy).
      const clone = await remote.createContainer({
        Image: APP_IMAGE,
        Entrypoint: [
          '/bin/sh',
          '-c',
          'git clone --quiet "$0" /tmp/r && git -C /tmp/r rev-parse HEAD && cat /tmp/r/README',
          git.url('fresh'),
        ],
        Tty: true,
        Labels: LABELS,
        HostConfig: { NetworkMode: 'bridge' },
      });
      try {
        await clone.start();
        const exit = (await clone.wait()) as { StatusCode: number };
        const output = (await clone.logs({ stdout: true, stderr: true })).toString();
        expect({ exit: exit.StatusCode, output: output.replace(/\r/g, '') }).toEqual({
          exit: 0,
          output: `${sha}\nhello from a fresh engine\n`,
        });
      } finally {
        await clone.remove({ force: true });
      }
    } finally {
      await git.stop();
    }
  }, 180_000);
});
