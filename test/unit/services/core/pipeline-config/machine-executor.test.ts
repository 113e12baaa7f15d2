import { describe, expect, it } from '@jest/globals';
import { jobOf, parse, parseErrors, parseValid, withJob } from './helpers.js';

const ENGINE = {
  type: 'setup_remote_docker',
  name: "Start the machine's Docker engine",
  when: 'on_success',
  dockerLayerCaching: false,
};
const onlyJob = (text: string) => jobOf(parseValid(text).workflows[0]?.jobs[0])!;

describe('the machine executor', () => {
  it('runs `machine: true` in the machine image, its engine started before every step', () => {
    const job = onlyJob(withJob('machine: true\nsteps: [checkout, { run: docker compose up -d }]'));
    expect(job.machine).toBe(true);
    expect(job.docker).toEqual({ primary: { image: 'default', environment: {} }, services: [] });
    expect(job.steps[0]).toEqual(ENGINE);
    expect(job.steps.map((s) => s.type)).toEqual(['setup_remote_docker', 'checkout', 'run']);
    expect(job.resourceClass.name).toBe('medium');
  });

  it('keeps the CircleCI image asked for, warns that it maps to Gyre’s machine image, and takes machine classes', () => {
    const result = parse(
      withJob(
        'machine:\n  image: ubuntu-2204:2024.01.1\n  docker_layer_caching: true\nresource_class: large\nsteps: [{ run: make }]',
      ),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    const job = jobOf(result.config.workflows[0]?.jobs[0])!;
    expect(job.docker.primary.image).toBe('ubuntu-2204:2024.01.1');
    expect(job.resourceClass.name).toBe('large');
    // The machine's engine takes the builder's layer cache, as a setup_remote_docker step would.
    expect(job.steps[0]).toEqual({ ...ENGINE, dockerLayerCaching: true });
    expect(result.warnings.map((w) => `${w.line}:${w.column} ${w.message}`)).toEqual([
      `5:14 machine image "ubuntu-2204:2024.01.1" runs as Gyre's machine image: Debian 12 with the Docker CLI, Compose, git and common build tools, and a Docker engine of the job's own`,
    ]);
  });

  it('takes a machine executor from `executors:`, and starts its engine before pre-steps', () => {
    const config = parseValid(`version: 2.1
executors:
  vm:
    machine:
      image: ubuntu-2204:current
jobs:
  build:
    executor: vm
    steps: [{ run: docker build . }]
workflows:
  main:
    jobs:
      - build:
          pre-steps: [{ run: docker info }]
`);
    const job = jobOf(config.workflows[0]?.jobs[0])!;
    expect(job.machine).toBe(true);
    expect(job.steps.map((s) => (s.type === 'run' ? s.command : s.type))).toEqual([
      'setup_remote_docker',
      'docker info',
      'docker build .',
    ]);
  });

  it('refuses a job with both docker and machine, and a machine that is neither true nor a map, each at its line', () => {
    const both = parseErrors(withJob('docker: [{ image: alpine }]\nmachine: true\nsteps: [checkout]'));
    expect(both.map((e) => `${e.line}:${e.column} ${e.message}`)).toEqual([
      '5:14 a job uses either `docker` or `machine`, not both',
    ]);
    const odd = parseErrors(withJob('machine: yes-please\nsteps: [checkout]'));
    expect(odd.map((e) => `${e.line} ${e.message}`)).toEqual([
      '4 expected `true` or a map with `image` (e.g. machine: { image: ubuntu-2204:current }), got the string "yes-please"',
    ]);
    const unknown = parseErrors(withJob('machine:\n  image: ubuntu-2204:current\n  size: big\nsteps: [checkout]'));
    expect(unknown.map((e) => e.line)).toEqual([6]);
    expect(unknown[0]?.message).toMatch(/size/);
  });
});
