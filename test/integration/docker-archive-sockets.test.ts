import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import Docker from 'dockerode';
import { pack } from 'tar-stream';
import { DockerJobBackend } from '../../src/docker/index.js';

// GIVEN a running container on this machine's Docker Engine and the builder's Docker backend.
// Every archive call opens a connection to the engine's socket; one left open keeps a drained
// `gyre agent` from exiting (its process lives on while any socket does), and adds up over jobs.
const docker = new Docker();
let container: Docker.Container;
const backend = new DockerJobBackend(docker);

/** Open pipes of this process: the engine's unix socket connections, and the test runner's own (a constant). */
const openPipes = () => process.getActiveResourcesInfo().filter((kind) => kind === 'PipeWrap').length;
const settled = () => new Promise((resolve) => setTimeout(resolve, 300));

beforeAll(async () => {
  container = await docker.createContainer({
    Image: 'debian:bookworm-slim',
    Cmd: ['sleep', '300'],
    Labels: { 'io.gyre.test': 'docker-archive-sockets' },
  });
  await container.start();
}, 60_000);

afterAll(async () => {
  await container?.remove({ force: true });
});

describe("the Docker backend's archive calls", () => {
  it('leave no connection to the engine open: asking for paths, reading and writing archives', async () => {
    await settled();
    const before = openPipes();
    expect(await backend.hasPath(container.id, '/etc')).toBe(true);
    expect(await backend.hasPath(container.id, '/no/such/path')).toBe(false);
    const archive = await backend.getArchive(container.id, '/etc/hostname');
    archive.resume();
    await new Promise((resolve) => archive.once('end', resolve));
    const tar = pack();
    tar.entry({ name: 'probe.txt' }, 'probe');
    tar.finalize();
    await backend.putArchive(container.id, '/tmp', Readable.from([await buffer(tar)]));
    expect(await backend.hasPath(container.id, '/tmp/probe.txt')).toBe(true);
    await settled();
    expect(openPipes()).toBe(before);
  });
});
