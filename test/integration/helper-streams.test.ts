import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { DockerJobBackend, HelperExitError, type ContainerSpec } from '../../src/docker/index.js';

// GIVEN a running container on a network of its own (a job's primary) and the agent's image,
// WHEN a helper joins its PID namespace and streams, THEN the bytes arrive whole in both
// directions, and a helper that fails says why; nothing of the helpers is left.
const docker = new Docker();
const backend = new DockerJobBackend(docker);
const LABELS = { 'io.gyre.test': `helper-streams-${process.pid}` };
const NETWORK = `gyre-helper-streams-${process.pid}`;
const HELPER_IMAGE = 'gyre/app:0.1.0';
let primary: Docker.Container;

function helper(script: string, network: string): ContainerSpec {
  return {
    image: HELPER_IMAGE,
    user: '0:0',
    entrypoint: ['/bin/bash', '-c', script],
    cmd: [],
    labels: LABELS,
    network: { name: network },
    pidOf: primary.id,
  };
}

async function read(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The helper's own command line, which names the channel's server when it runs behind one. */
const PARENT = `tr '\\0' ' ' < /proc/$PPID/cmdline | cut -d' ' -f1,2`;

beforeAll(async () => {
  await docker.createNetwork({ Name: NETWORK, Labels: LABELS });
  primary = await docker.createContainer({
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', 'infinity'],
    Labels: LABELS,
    HostConfig: { NetworkMode: NETWORK },
  });
  await primary.start();
}, 60_000);

afterAll(async () => {
  await backend.removeByLabels(LABELS, 'the helper-streams test');
});

// On the job's network the builder opens the helper's channel; without a network it cannot, and
// the same streams go through the engine's attach stream (as for a builder on another host).
describe.each([
  { transport: 'their TCP channel', network: () => NETWORK, parent: 'node -e' },
  { transport: "the engine's attach stream", network: () => 'none', parent: '' },
])('helper containers streaming over $transport', ({ network, parent }) => {
  it('brings 64 MiB of stdout whole', async () => {
    const stderr: string[] = [];
    const { stdout } = backend.streamContainer(
      helper(`echo "parent: $(${PARENT})" >&2; head -c 67108864 /dev/urandom | tee >(sha256sum >&2)`, network()),
      { onStderr: (data) => stderr.push(data.toString()) },
    );
    const bytes = await read(stdout);
    expect(bytes.length).toBe(64 * 1024 ** 2);
    const said = stderr.join('');
    expect(said).toContain(`parent: ${parent}\n`);
    expect(said).toContain(createHash('sha256').update(bytes).digest('hex'));
  }, 60_000);

  it('feeds 32 MiB of stdin whole, as the restore steps do', async () => {
    const input = Buffer.alloc(32 * 1024 ** 2, 7);
    const { stdout } = backend.streamContainer(helper('sha256sum | cut -c1-64', network()), {
      stdin: Readable.from([input.subarray(0, 1000), input.subarray(1000)]),
      onStderr: () => undefined,
    });
    expect((await read(stdout)).toString().trim()).toBe(createHash('sha256').update(input).digest('hex'));
  }, 60_000);

  it('fails with the exit code and the end of stderr, and removes the helper before it answers', async () => {
    const script = 'echo partial; echo "tar: nope: Cannot open" >&2; exit 2';
    const { stdout } = backend.streamContainer(helper(script, network()), {
      onStderr: () => undefined,
    });
    const failure = await read(stdout).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HelperExitError);
    expect((failure as HelperExitError).message).toBe(
      'the helper container exited with code 2: tar: nope: Cannot open',
    );
    const helpers = await docker.listContainers({
      all: true,
      filters: { label: Object.entries(LABELS).map(([k, v]) => `${k}=${v}`), ancestor: [HELPER_IMAGE] },
    });
    expect(helpers).toEqual([]);
  }, 60_000);
});
