import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { promisify } from 'node:util';
import Docker from 'dockerode';
import { pino } from 'pino';
import { applyEgressPolicy, removeEgressPolicy } from '../../src/builder/agent/egress-policy.js';
import { JobResourcePool, runJob } from '../../src/builder/runner/index.js';
import type { DockerImage, RunStep } from '../../src/builder/runner/types.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { bridgeHostAddress } from '../../src/testing/bridge-host-address.js';
import { LABELS } from '../../src/shared/labels.js';
import { image, makeJob, RecordingSink, run } from '../support/runner-jobs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the local engine with the jobs' egress policy applied as `gyre agent` applies it, a real
// services box listening on every host address, a port published on the host (as the services
// stack publishes 80 and 8800), and a network namespace this test owns, holding a link-local
// address, an ordinary one and one that stands for a services box on another host (the builder's
// GYRE_SERVICES_URL), each serving on 8080 and on Docker's API ports 2375 and 2376. The
// allow-list opens 2376 on the ordinary address and the published port on the uplink's address.
// No probe goes to an address this machine does not own, but the Debian mirror it already uses.
const exec = promisify(execFile);
const docker = new Docker();
const backend = new DockerJobBackend(docker);
const APP_IMAGE = 'gyre/app:0.1.0';
const BUILDER = `egress-test-${process.pid}`;
const NETNS = 'gyreegress';
/** An ordinary outside address, a services box on another host, and a link-local address, all in the namespace. */
const [OUTSIDE, REMOTE_SERVICES, LINK_LOCAL] = ['10.250.77.2', '10.250.77.3', '169.254.77.2'];

/** Opens a TCP connection to each target in $PROBES and prints `name: open|refused|timeout|<code>`. */
const PROBE = `
const net = require('node:net');
const fs = require('node:fs');
function gateway() {
  const hex = fs.readFileSync('/proc/net/route', 'utf8').split('\\n').map((l) => l.split('\\t')).find((f) => f[1] === '00000000')[2];
  return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
}
(async () => {
  for (const p of JSON.parse(process.env.PROBES)) {
    const host = p.host === 'GATEWAY' ? gateway() : p.host;
    const outcome = await new Promise((done) => {
      const socket = net.connect({ host, port: p.port });
      const timer = setTimeout(() => { socket.destroy(); done('timeout'); }, 3000);
      socket.on('connect', () => { clearTimeout(timer); socket.destroy(); done('open'); });
      socket.on('error', (e) => { clearTimeout(timer); done(e.code === 'ECONNREFUSED' ? 'refused' : e.code); });
    });
    console.log(p.name + ': ' + outcome);
  }
})();`;
const probeCommand = `node -e "$PROBE_SCRIPT"`;

const SERVER = (ports: number[]) =>
  `const http = require('node:http'); for (const p of ${JSON.stringify(ports)}) http.createServer((q, s) => s.end('ok')).listen(p);`;
const WEB = image({ image: APP_IMAGE, name: 'web', entrypoint: ['node', '-e', SERVER([8080])] });

interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

let services: ServicesUnderTest;
let published: Docker.Container;
let namespaceServer: ChildProcess;
let bridgeAddress: string;
let uplinkAddress: string;
let servicesPort: number;
let adminPort: number;

/** The IPv4 address of a host interface. */
function addressOf(name: string): string {
  const found = networkInterfaces()[name]?.find((a) => a.family === 'IPv4');
  if (!found) throw new Error(`the host's ${name} has no IPv4 address`);
  return found.address;
}

/** The interface of the host's default route. */
function uplink(): string {
  const route = readFileSync('/proc/net/route', 'utf8')
    .split('\n')
    .map((line) => line.split('\t'))
    .find((fields) => fields[1] === '00000000');
  if (!route) throw new Error('the host has no default route');
  return route[0]!;
}

async function ip(...args: string[]): Promise<void> {
  await exec('ip', args);
}

async function removeNamespace(): Promise<void> {
  await exec('ip', ['netns', 'del', NETNS]).catch(() => undefined);
  await exec('ip', ['link', 'del', 'vh-gyreeg']).catch(() => undefined);
}

beforeAll(async () => {
  await removeNamespace();
  await ip('netns', 'add', NETNS);
  await ip('link', 'add', 'vh-gyreeg', 'type', 'veth', 'peer', 'name', 'vp-gyreeg');
  await ip('link', 'set', 'vp-gyreeg', 'netns', NETNS);
  await ip('addr', 'add', '10.250.77.1/24', 'dev', 'vh-gyreeg');
  await ip('addr', 'add', '169.254.77.1/24', 'dev', 'vh-gyreeg');
  await ip('link', 'set', 'vh-gyreeg', 'up');
  for (const setup of [
    ['addr', 'add', `${OUTSIDE}/24`, 'dev', 'vp-gyreeg'],
    ['addr', 'add', `${REMOTE_SERVICES}/24`, 'dev', 'vp-gyreeg'],
    ['addr', 'add', `${LINK_LOCAL}/24`, 'dev', 'vp-gyreeg'],
    ['link', 'set', 'vp-gyreeg', 'up'],
    ['link', 'set', 'lo', 'up'],
  ])
    await ip('netns', 'exec', NETNS, 'ip', ...setup);
  namespaceServer = spawn(
    'nsenter',
    [`--net=/var/run/netns/${NETNS}`, process.execPath, '-e', SERVER([8080, 2375, 2376])],
    {
      stdio: 'ignore',
    },
  );

  services = await startServicesUnderTest({ host: '0.0.0.0' });
  servicesPort = Number(new URL(services.base).port);
  adminPort = Number(new URL(services.services.addresses.admin).port);
  // As a container sees it: Node lists no docker0 while no container is on the default bridge.
  bridgeAddress = await bridgeHostAddress(docker, APP_IMAGE, { [LABELS.builder]: BUILDER });
  uplinkAddress = addressOf(uplink());

  published = await docker.createContainer({
    Image: APP_IMAGE,
    Entrypoint: ['node', '-e', SERVER([8080])],
    Labels: { [LABELS.builder]: BUILDER },
    ExposedPorts: { '8080/tcp': {} },
    HostConfig: { PortBindings: { '8080/tcp': [{ HostPort: '18477' }] } },
  });
  await published.start();

  await applyPolicy();
}, 120_000);

/** Who runs the helper, for a builder whose services box is on another host. */
function egressOptions() {
  const allow = [
    { block: OUTSIDE, ports: { first: 2376, last: 2376 } },
    { block: uplinkAddress, ports: { first: 18477, last: 18477 } },
  ];
  return {
    builderName: BUILDER,
    helperImage: APP_IMAGE,
    servicesUrl: `http://${REMOTE_SERVICES}:8080`,
    egress: { enforce: true, allow },
  };
}

/** What `gyre agent` does at start (or, with `recheck`, every few minutes), logging into `lines`. */
async function applyPolicy(recheck = false, lines: string[] = []): Promise<void> {
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  await applyEgressPolicy(backend, egressOptions(), log, recheck);
}

/** The rules of one of the host's chains, as `iptables -S` prints them. */
const rules = (chain: string) => exec('iptables', ['-S', chain]).then(({ stdout }) => stdout.split('\n'));

afterAll(async () => {
  namespaceServer?.kill();
  await published?.remove({ force: true });
  await services?.stop();
  await removeNamespace();
  await backend.removeByLabels({ [LABELS.builder]: BUILDER }, 'the egress test');
});

/** The targets every case probes, by name; `GATEWAY` is the prober's own default gateway. */
async function targets(): Promise<Target[]> {
  const publishedIp = (await published.inspect()).NetworkSettings.Networks['bridge']!.IPAddress;
  return [
    { name: 'gateway: services API and /builder/v1/register', host: 'GATEWAY', port: servicesPort },
    { name: 'gateway: admin console', host: 'GATEWAY', port: adminPort },
    ...[bridgeAddress, uplinkAddress].flatMap((address) => [
      { name: `${address}: services API`, host: address, port: servicesPort },
      { name: `${address}: admin console`, host: address, port: adminPort },
    ]),
    { name: 'bridge address: published port', host: bridgeAddress, port: 18477 },
    { name: 'published container itself', host: publishedIp, port: 8080 },
    { name: 'link-local', host: LINK_LOCAL, port: 8080 },
    { name: 'services box on another host', host: REMOTE_SERVICES, port: 8080 },
    { name: 'outside: Docker API', host: OUTSIDE, port: 2375 },
    // Opened by the allow-list:
    { name: 'outside: web', host: OUTSIDE, port: 8080 },
    { name: 'outside: allowed port 2376', host: OUTSIDE, port: 2376 },
    { name: 'uplink address: allowed published port', host: uplinkAddress, port: 18477 },
  ];
}

/** Runs the probe in a container on Docker's default bridge, outside any job: what a job would reach without the policy. */
async function probeOutsideJobs(probes: readonly Target[]): Promise<string> {
  const container = await docker.createContainer({
    Image: APP_IMAGE,
    Entrypoint: ['node', '-e', PROBE],
    Env: [`PROBES=${JSON.stringify(probes)}`],
    // A terminal: the log comes back as plain text, not in the engine's multiplexed frames.
    Tty: true,
  });
  try {
    await container.start();
    await container.wait();
    return (await container.logs({ stdout: true, stderr: true })).toString('utf8');
  } finally {
    await container.remove({ force: true });
  }
}

const outcomes = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => line.split(': ').map((part) => part.trim()))
      .map((parts) => [parts.slice(0, -1).join(': '), parts.at(-1)]),
  );

/** How this file's jobs run: on the test's builder, in a small slot, stopped quickly. */
const RUN_OPTIONS = { builderName: BUILDER, room: { cpus: null, memoryBytes: 512 * 1024 ** 2 }, killGraceMs: 200 };

/** A job, as an unprivileged user, whose steps can run `probeCommand` over `probes`. */
function probingJob(steps: RunStep[], probes: readonly Target[], services: DockerImage[] = []) {
  return makeJob(steps, {
    docker: { primary: image({ image: APP_IMAGE, user: 'nobody' }), services },
    environment: { PROBE_SCRIPT: PROBE, PROBES: JSON.stringify(probes) },
    workingDirectory: '/tmp/project',
  });
}

describe("the jobs' egress policy", () => {
  it('refuses the services box, the host, published ports, other containers, link-local and Docker API ports; lets the internet and own services through', async () => {
    const all = await targets();

    // A concurrent job with a service of its own, kept running while the other job probes.
    const other = makeJob([run('sleep 120')], {
      docker: { primary: image({ image: APP_IMAGE }), services: [WEB] },
    });
    const stopOther = new AbortController();
    const otherRun = runJob(backend, other, new RecordingSink(), { ...RUN_OPTIONS, signal: stopOther.signal });
    const otherWeb = await until("the other job's service container", async () => {
      const found = await docker.listContainers({
        filters: JSON.stringify({ label: [`${LABELS.job}=${other.jobId}`] }),
      });
      const web = found.find((c) => c.Command.includes('createServer'));
      return web && Object.values(web.NetworkSettings.Networks)[0]?.IPAddress;
    });

    const probes = [
      ...all,
      { name: 'own service', host: 'web', port: 8080 },
      { name: "other job's service", host: otherWeb, port: 8080 },
      { name: 'Debian mirror', host: 'deb.debian.org', port: 80 },
    ];
    const sink = new RecordingSink();
    const job = probingJob(
      [
        run(
          `until PROBES='[{"name":"web","host":"web","port":8080}]' ${probeCommand} | grep -q 'web: open'; do sleep 0.2; done`,
          { noOutputTimeoutMs: 30_000 },
        ),
        run(probeCommand),
        run(
          `node -e "fetch('http://deb.debian.org/debian/dists/bookworm/Release', { method: 'HEAD' }).then((r) => console.log(r.status))"`,
        ),
      ],
      probes,
      [WEB],
    );
    // The probing job runs as an agent's jobs do, in the namespace of a holder the pool made
    // ahead; the other job on a network made for it.
    const poolFailures: unknown[] = [];
    const pool = new JobResourcePool(backend, BUILDER, APP_IMAGE, 1, (error) => poolFailures.push(error));
    pool.fill();
    await until('the pool to make a network and its holder', () => pool.readyCount === 1);
    const poolNetworks = async () =>
      (
        await docker.listNetworks({
          filters: JSON.stringify({ name: ['gyre-pool-'], label: [`${LABELS.builder}=${BUILDER}`] }),
        })
      ).map((network) => network.Name);
    const [pooled] = await poolNetworks();
    const result = await runJob(backend, job, sink, { ...RUN_OPTIONS, resourcePool: pool });
    // It ran in the pool's: that network went with the job, and the pool made the next one.
    await until('the pool to make the next one', () => pool.readyCount === 1);
    const after = await poolNetworks();
    await pool.close();
    expect(poolFailures).toEqual([]);
    expect(after).toHaveLength(1);
    expect(after).not.toContain(pooled);
    stopOther.abort();
    await otherRun;

    // THEN everything the issue forbids is refused at once (a reset, not a silent drop), and the
    // job still reaches an outside address, its own service, the Debian mirror (by name, through
    // Docker's resolver) and what the allow-list opened, a published port included.
    expect(result.failedStep).toBeUndefined();
    const seen = outcomes(sink.text(2));
    const opened = ['outside: web', 'outside: allowed port 2376', 'uplink address: allowed published port'];
    const expected = Object.fromEntries(all.map((t) => [t.name, opened.includes(t.name) ? 'open' : 'refused']));
    expect(seen).toEqual({
      ...expected,
      "other job's service": 'refused',
      'own service': 'open',
      'Debian mirror': 'open',
    });
    expect(sink.text(3).trim()).toBe('200');

    // AND outside any job the same targets answer (but for the gateway, which only a job has):
    // what refused them was the policy.
    const open = outcomes(await probeOutsideJobs(all.filter((t) => t.host !== 'GATEWAY')));
    expect(Object.values(open).every((outcome) => outcome === 'open')).toBe(true);
    expect(Object.keys(open)).toHaveLength(all.length - 2);
  }, 120_000);

  it('is written once, however often an agent starts: both jumps come first and appear once', async () => {
    // A jump pushed down by someone else's rule comes back to the top.
    await exec('iptables', ['-I', 'DOCKER-USER', '1', '-s', '192.0.2.254/32', '-j', 'RETURN']);
    await applyPolicy();
    await exec('iptables', ['-D', 'DOCKER-USER', '-s', '192.0.2.254/32', '-j', 'RETURN']);
    const forward = await rules('DOCKER-USER');
    expect(forward.filter((line) => line.includes('GYRE-JOBS'))).toEqual(['-A DOCKER-USER -j GYRE-JOBS']);
    expect(forward[1]).toBe('-A DOCKER-USER -j GYRE-JOBS');
    const input = await rules('INPUT');
    expect(input.filter((line) => line.includes('GYRE-JOBS'))).toEqual(['-A INPUT -j GYRE-JOBS-INPUT']);
    expect(input[1]).toBe('-A INPUT -j GYRE-JOBS-INPUT');
    // The chains are replaced, not appended to.
    const refusals = (await rules('GYRE-JOBS')).filter((line) => line.endsWith('-j GYRE-JOBS-REFUSE'));
    expect(refusals).toHaveLength(new Set(refusals).size);
  }, 60_000);

  it("is written again by a running agent's check once a firewall reload took a jump away, and left alone while both are there", async () => {
    await applyPolicy();
    const before = await rules('GYRE-JOBS');
    const quiet: string[] = [];
    await applyPolicy(true, quiet);
    expect(quiet).toEqual([]);
    expect(await rules('GYRE-JOBS')).toEqual(before);

    await exec('iptables', ['-D', 'INPUT', '-j', 'GYRE-JOBS-INPUT']);
    const warned: string[] = [];
    await applyPolicy(true, warned);
    expect((await rules('INPUT'))[1]).toBe('-A INPUT -j GYRE-JOBS-INPUT');
    expect((await rules('DOCKER-USER'))[1]).toBe('-A DOCKER-USER -j GYRE-JOBS');
    expect(warned.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      "the jobs' egress rules were not first in DOCKER-USER and INPUT any more (a firewall reload, or another tool's rule above them): written again and put first",
    ]);
  }, 60_000);

  it('refuses what GYRE_EGRESS_DENY names besides, unless GYRE_EGRESS_ALLOW opens it', async () => {
    // The outside address stands for the services box's public address, denied whole; its port
    // 2376 stays open through the allow-list.
    const options = egressOptions();
    await applyEgressPolicy(
      backend,
      { ...options, egress: { ...options.egress, deny: [{ block: `${OUTSIDE}/32` }] } },
      pino({ level: 'silent' }),
    );
    try {
      const probes = [
        { name: 'outside: web', host: OUTSIDE, port: 8080 },
        { name: 'outside: allowed port 2376', host: OUTSIDE, port: 2376 },
      ];
      const sink = new RecordingSink();
      const result = await runJob(backend, probingJob([run(probeCommand)], probes), sink, RUN_OPTIONS);
      expect(result.failedStep).toBeUndefined();
      expect(outcomes(sink.text(1))).toEqual({ 'outside: web': 'refused', 'outside: allowed port 2376': 'open' });
    } finally {
      await applyPolicy();
    }
  }, 60_000);

  it('has its jumps taken out by an agent started with the policy off, so off means off', async () => {
    await applyPolicy();
    await removeEgressPolicy(backend, egressOptions(), pino({ level: 'silent' }));
    expect((await rules('DOCKER-USER')).filter((line) => line.includes('GYRE-JOBS'))).toEqual([]);
    expect((await rules('INPUT')).filter((line) => line.includes('GYRE-JOBS'))).toEqual([]);
    // The next start with the policy on puts them back.
    await applyPolicy();
    expect((await rules('DOCKER-USER'))[1]).toBe('-A DOCKER-USER -j GYRE-JOBS');
  }, 60_000);
});
