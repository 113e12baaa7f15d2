import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Agent } from '../../src/builder/agent/agent.js';
import type { QueueResponse } from '../../src/api/responses.js';
import { docker, jobsMayReach, leftoversOf, spawnAgent, startAgent } from '../support/agent-under-test.js';
import { LABELS } from '../../src/shared/labels.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { byName, jobLog, pushAndTrigger, waitForJobs } from '../support/pipeline-runs.js';
import { allowDockerInBuilds, startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL, a real git server, and `gyre agent` on this
// machine's Docker Engine. No registry is reachable, so the jobs build their images from files of
// their own primary (`docker import`), as a job elsewhere would `FROM` a pulled base.
let gyre: ServicesUnderTest;
let git: GitServer;
let project: { repo: string; projectId: number };

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  await git.createRepo('images');
  const created = (await (
    await gyre.api('/api/v1/projects', { body: { name: 'acme/images', gitUrl: git.url('images') } })
  ).json()) as { id: number };
  project = { repo: 'images', projectId: created.id };
  // An administrator's grant: without it the jobs would wait (bin-packing.test.ts shows that).
  await allowDockerInBuilds(gyre, created.id);
}, 300_000);

afterAll(async () => {
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** What both jobs run: import a minimal image, build on it with Compose, run the service, exec into it. */
const BUILD_RUN_COMPOSE = String.raw`set -e
files="/usr/bin/dash /usr/bin/cat /usr/bin/sleep $(ldd /usr/bin/dash /usr/bin/cat /usr/bin/sleep | awk '/=>/{print $3} /ld-linux/{print $1}' | sort -u)"
tar -chf - $files 2>/dev/null | docker import - base:1 >/dev/null
docker build -q -t app:1 . >/dev/null
docker run --rm app:1 /usr/bin/cat /message
docker compose up -d >/dev/null 2>&1
docker compose exec -T app /usr/bin/cat /message
docker compose down -t 0 >/dev/null 2>&1
echo "containers left: $(docker ps -aq | wc -l)"`;

const FILES = {
  Dockerfile: 'FROM base:1\nRUN ["/usr/bin/dash", "-c", "echo built in the job > /message"]\n',
  'compose.yml': 'services:\n  app:\n    build: .\n    command: ["/usr/bin/sleep", "300"]\n',
};

const CONFIG = `version: 2.1
jobs:
  remote:
    docker: [{ image: gyre/machine:0.1.0 }]
    steps:
      - checkout
      - setup_remote_docker:
          docker_layer_caching: true
      - run:
          name: build, run and compose
          command: |
${indent(BUILD_RUN_COMPOSE, 12)}
  vm:
    machine:
      image: ubuntu-2204:2024.01.1
    steps:
      - checkout
      - run:
          name: build, run and compose
          command: |
${indent(BUILD_RUN_COMPOSE, 12)}
workflows:
  main:
    jobs: [remote, vm]
`;

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');
}

describe('Docker in builds through a pipeline', () => {
  it('waits, saying why, while no builder offers Docker in builds', async () => {
    const pipeline = await pushAndTrigger(gyre, git, project, CONFIG, FILES);
    const reasons = await until('both jobs queued', async () => {
      const queue = (await (await gyre.api('/api/v1/queue')).json()) as QueueResponse;
      const mine = queue.items.filter((i) => i.name === 'remote' || i.name === 'vm');
      return mine.length === 2 ? mine : undefined;
    });
    expect(Object.fromEntries(reasons.map((i) => [i.name, i.waitingBecause]))).toEqual({
      remote: 'no builder is connected; join one with `gyre builder join`',
      vm: 'no builder is connected; join one with `gyre builder join`',
    });
    const plain: Agent = await startAgent(gyre.base, 'no-docker', jobsMayReach(git.egressEntry));
    try {
      const waiting = await until('the wait reasons of a builder without Docker', async () => {
        const queue = (await (await gyre.api('/api/v1/queue')).json()) as QueueResponse;
        const mine = Object.fromEntries(queue.items.map((i) => [i.name, i.waitingBecause]));
        return mine['remote']?.startsWith('needs Docker') && mine['vm']?.startsWith('needs the machine')
          ? mine
          : undefined;
      });
      expect(waiting['remote']).toBe(
        'needs Docker in builds (setup_remote_docker); no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=remote on a builder',
      );
      expect(waiting['vm']).toBe(
        'needs the machine executor; no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=machine on a builder',
      );
    } finally {
      plain.drain();
      await plain.done;
    }

    // WHEN a builder that offers the machine executor joins
    const offering = await startAgent(gyre.base, 'docker-builder', {
      ...jobsMayReach(git.egressEntry),
      engineImage: 'gyre/engine:0.1.0',
      machineImage: 'gyre/machine:0.1.0',
      layerCacheBytes: 10 * 1024 ** 3,
    });
    try {
      // THEN both jobs build an image, run it and use Compose, each with an engine of its own
      const jobs = await waitForJobs(gyre, pipeline, undefined, 300_000);
      expect(jobs.map((j) => [j.name, j.state])).toEqual([
        ['remote', 'success'],
        ['vm', 'success'],
      ]);
      for (const name of ['remote', 'vm']) {
        const log = await jobLog(gyre, byName(jobs, name).id);
        expect(log).toContain('built in the job\nbuilt in the job\ncontainers left: 0\n');
      }
      const remoteLog = await jobLog(gyre, byName(jobs, 'remote').id);
      expect(remoteLog).toContain(
        'docker_layer_caching: the first job of the project with a layer cache on this builder; the engine starts empty.',
      );
      const vmLog = await jobLog(gyre, byName(jobs, 'vm').id);
      expect(vmLog).toContain("A Docker engine of this job's own is ready");
    } finally {
      offering.drain();
      await offering.done;
      // The layer cache outlives jobs and agents by design; this test's goes with it.
      const caches = await docker.listVolumes({
        filters: JSON.stringify({ label: [LABELS.layerCache, `${LABELS.builder}=${offering.name}`] }),
      });
      for (const volume of caches.Volumes ?? []) await docker.getVolume(volume.Name).remove();
    }
  }, 600_000);

  it("removes a job's engine, its container and its volume, when the agent is killed mid-job and comes back", async () => {
    // GIVEN an agent process whose job's engine runs, and a first attempt that would take 10 minutes
    const stateDir = mkdtempSync(join(tmpdir(), 'gyre-agent-'));
    const name = 'docker-killed';
    const env = { GYRE_DOCKER_IN_BUILDS: 'remote' };
    const first = await spawnAgent(gyre.base, name, stateDir, env);
    const pipeline = await pushAndTrigger(
      gyre,
      git,
      project,
      `version: 2.1
jobs:
  engine:
    docker: [{ image: gyre/machine:0.1.0 }]
    steps:
      - setup_remote_docker
      - run: 'docker version --format "engine {{.Server.Version}} up"; if [ "$GYRE_ATTEMPT" = 1 ]; then sleep 600; fi'
workflows:
  main: { jobs: [engine] }
`,
    );
    const [running] = await waitForJobs(gyre, pipeline, (jobs) => jobs[0]?.state === 'running', 120_000);
    await until('the engine to answer', async () => /engine \S+ up/.test(await jobLog(gyre, running!.id)));
    const engines = async () => {
      const filters = JSON.stringify({ label: [`${LABELS.builder}=${name}`], ancestor: ['gyre/engine:0.1.0'] });
      const volumes = JSON.stringify({ label: [`${LABELS.builder}=${name}`] });
      return {
        containers: (await docker.listContainers({ all: true, filters })).length,
        volumes: ((await docker.listVolumes({ filters: volumes })).Volumes ?? []).filter((v) =>
          v.Name.endsWith('-engine'),
        ).length,
      };
    };
    expect(await engines()).toEqual({ containers: 1, volumes: 1 });

    // WHEN the agent dies, its engine is left running; THEN the agent that comes back removes it, and
    // nothing of the job is left once its next attempt has run
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    expect(await engines()).toEqual({ containers: 1, volumes: 1 });
    const restarted = await spawnAgent(gyre.base, name, stateDir, env);
    try {
      const [done] = await waitForJobs(gyre, pipeline, undefined, 180_000);
      expect(done!.state).toBe('success');
      expect(await jobLog(gyre, running!.id)).toMatch(/engine \S+ up/);
    } finally {
      restarted.child.kill('SIGTERM');
      expect(await restarted.exited).toBe(0);
    }
    expect(await engines()).toEqual({ containers: 0, volumes: 0 });
    expect(await leftoversOf(name)).toEqual({ containers: 0, networks: 0, volumes: 0 });
  }, 400_000);
});
