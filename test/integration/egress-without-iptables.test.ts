import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { pino } from 'pino';
import { applyEgressPolicy, removeEgressPolicy } from '../../src/builder/agent/egress-policy.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { shipImage, startNetnsEngine, type NetnsEngine } from '../support/netns-engine.js';

// GIVEN a Docker Engine started with --iptables=false, in a network namespace of its own (so
// its netfilter tables are its own too), with Gyre's image, whose firewall helper the agent runs.
const APP_IMAGE = 'gyre/app:0.1.0';
let engine: NetnsEngine;
let backend: DockerJobBackend;

const options = {
  builderName: 'no-iptables',
  helperImage: APP_IMAGE,
  servicesUrl: 'http://10.250.22.1:8080',
  egress: { enforce: true, allow: [] },
};

beforeAll(async () => {
  engine = await startNetnsEngine({ name: 'noipt', subnet: '10.250.22', iptables: false });
  await shipImage(engine, APP_IMAGE);
  backend = new DockerJobBackend(new Docker({ socketPath: engine.socketPath }));
}, 300_000);

afterAll(async () => {
  await engine?.stop();
}, 120_000);

describe('the egress policy on an engine that manages no iptables', () => {
  it('stops the builder from starting, saying why and both ways on', async () => {
    const refused = applyEgressPolicy(backend, options, pino({ level: 'silent' }));
    await expect(refused).rejects.toThrow(
      /^Could not apply the jobs' egress policy on the engine's host: The firewall helper \(gyre\/app:0\.1\.0, on the engine host's network\) exited 3: no iptables \(nft or legacy\) sends FORWARD to Docker's DOCKER-USER chain/,
    );
    await expect(refused).rejects.toThrow(
      /run the engine with its iptables management on .* or set GYRE_EGRESS_POLICY=off/,
    );
  }, 120_000);

  it('lets a builder with the policy off start: there are no jumps to take out', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    await removeEgressPolicy(backend, options, log);
    expect(lines.map((line) => JSON.parse(line) as { msg: string; iptables?: string })).toEqual([
      expect.objectContaining({ iptables: 'none', msg: expect.stringMatching(/^GYRE_EGRESS_POLICY is off: /) }),
    ]);
  }, 120_000);
});
