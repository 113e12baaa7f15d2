import { describe, expect, it } from '@jest/globals';
import Docker from 'dockerode';
import { runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { image, makeJob, RecordingSink, run } from '../support/runner-jobs.js';

// GIVEN the local engine (cgroup v1, cgroupfs driver: it nests cgroups), a builder room of 1 GiB, and jobs
// of a 256 MiB resource class.
const docker = new Docker();
const backend = new DockerJobBackend(docker);
const MEMORY = 256 * 1024 ** 2;
const CLASS = { name: 'small-256', cpus: 1, memoryMiB: 256 };
const options = {
  builderName: `limits-test-${process.pid}`,
  room: { cpus: 2, memoryBytes: 1024 ** 3 },
  killGraceMs: 500,
  sharedCgroup: true,
};

/**
 * A service that idles 4 s, then takes 10 MiB a second up to 100 MiB: three of them need more
 * than the job may have, but not before the first step looked at them.
 */
const HOG = image({
  image: 'gyre/app:0.1.0',
  entrypoint: [
    'node',
    '-e',
    'const held = []; setTimeout(() => setInterval(() => held.length < 10 && held.push(Buffer.alloc(10 * 2 ** 20, 1)), 1000), 4000);',
  ],
});

// The primary reads its own cgroup: Docker mounts the container's cgroup folder at
// /sys/fs/cgroup/<controller>, so the services' cgroups show as folders in it when they nest there.
const MEMORY_CGROUP = '/sys/fs/cgroup/memory';

describe('limits per job on the local Docker Engine', () => {
  it("holds a job with 3 service containers to its class's memory, checked from the cgroup files inside the job", async () => {
    const engine = await backend.info();
    expect(engine.nestedCgroups).toBe(true);
    const sink = new RecordingSink();
    const job = makeJob(
      [
        run(`ls -d ${MEMORY_CGROUP}/*/ | wc -l`),
        run(`cat ${MEMORY_CGROUP}/memory.limit_in_bytes ${MEMORY_CGROUP}/memory.memsw.limit_in_bytes`),
        run(`sleep 15; cat ${MEMORY_CGROUP}/memory.max_usage_in_bytes; ls -d ${MEMORY_CGROUP}/*/ | wc -l`),
      ],
      { docker: { primary: image(), services: [HOG, HOG, HOG] }, resourceClass: CLASS },
    );

    const result = await runJob(backend, job, sink, options);

    expect(result.outcome).toBe('success');
    // THEN the services' cgroups are inside the primary's, the job's, which holds the class's
    // limit (not the larger room's) without swap on top, and the services together were stopped
    // at it (each alone stayed far below it).
    expect(sink.text(1).trim()).toBe('3');
    expect(sink.text(2).trim().split('\n')).toEqual([String(MEMORY), String(MEMORY)]);
    const [maxUsage, servicesLeft] = sink.text(3).trim().split('\n').map(Number);
    expect(maxUsage).toBeLessThanOrEqual(MEMORY);
    // A service the kernel killed at the job's limit took its cgroup with it.
    expect(servicesLeft).toBeLessThan(3);
  }, 60_000);

  it("takes raw sockets and device nodes from a job's containers, and leaves sudo to the primary only", async () => {
    const sink = new RecordingSink();
    const noNewPrivileges = 'grep NoNewPrivs /proc/1/status';
    const job = makeJob(
      [
        // Bits 13 (NET_RAW) and 27 (MKNOD) of the bounding set. (Step 0 is the environment's spin-up.)
        run(
          'echo $(( 0x$(grep CapBnd /proc/1/status | cut -f2) >> 13 & 1 )) $(( 0x$(grep CapBnd /proc/1/status | cut -f2) >> 27 & 1 ))',
        ),
        run(noNewPrivileges),
        run('mknod /tmp/null c 1 3'),
      ],
      { docker: { primary: image({ user: 'root' }), services: [] } },
    );

    const result = await runJob(backend, job, sink, options);

    expect(result.failedStep?.index).toBe(3);
    expect(sink.text(1).trim()).toBe('0 0');
    expect(sink.text(2).trim()).toBe('NoNewPrivs:\t0');
    expect(sink.text(3)).toMatch(/Operation not permitted/);
  }, 60_000);

  it('holds a service container to no-new-privileges and the same reduced capabilities', async () => {
    // The service tells whoever connects its own NoNewPrivs and its NET_RAW and MKNOD bits.
    const probe = image({
      image: 'gyre/app:0.1.0',
      name: 'probe',
      entrypoint: [
        'node',
        '-e',
        `const s = require('fs').readFileSync('/proc/self/status', 'utf8');
const bound = BigInt('0x' + s.match(/CapBnd:\\t(\\w+)/)[1]);
const line = s.match(/NoNewPrivs:\\t\\d/)[0] + ' ' + ((bound >> 13n) & 1n) + ' ' + ((bound >> 27n) & 1n) + '\\n';
require('net').createServer((c) => c.end(line)).listen(7000);`,
      ],
    });
    const sink = new RecordingSink();
    const job = makeJob(
      [
        run('for i in $(seq 100); do exec 3<>/dev/tcp/probe/7000 && break; sleep 0.1; done 2>/dev/null; cat <&3', {
          shell: '/bin/bash',
        }),
      ],
      { docker: { primary: image(), services: [probe] } },
    );

    const result = await runJob(backend, job, sink, options);

    expect(result.outcome).toBe('success');
    expect(sink.text(1)).toBe('NoNewPrivs:\t1 0 0\n');
  }, 60_000);
});
