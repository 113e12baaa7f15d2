import { describe, expect, it } from '@jest/globals';
import { parsePipelineConfig, type Job } from '../../../../../src/services/core/pipeline-config/index.js';
import { jobOf, parseErrors, parseValid, withJob } from './helpers.js';

function onlyJob(text: string): Job {
  const job = jobOf(parseValid(text).workflows[0]?.jobs[0]);
  if (!job) throw new Error('no job');
  return job;
}

describe('jobs', () => {
  it('fills in CircleCI defaults: medium class, ~/project, no environment', () => {
    expect(onlyJob(withJob('docker: [{ image: alpine }]\nsteps: [checkout]'))).toEqual({
      docker: { primary: { image: 'alpine', environment: {} }, services: [] },
      resourceClass: { name: 'medium', cpus: 2, memoryMiB: 4096 },
      workingDirectory: '~/project',
      environment: {},
      steps: [{ type: 'checkout' }],
    });
  });

  it('maps resource classes through the table the admin gives', () => {
    const text = withJob('docker: [{ image: alpine }]\nresource_class: gpu\nsteps: [checkout]');
    const result = parsePipelineConfig(text, {
      resourceClasses: { defaultClass: 'gpu', classes: { gpu: { cpus: 16, memoryMiB: 65536 } } },
    });
    expect(result.ok && jobOf(result.config.workflows[0]?.jobs[0])?.resourceClass).toEqual({
      name: 'gpu',
      cpus: 16,
      memoryMiB: 65536,
    });
  });

  it('merges an executor under the job, the job winning and environments combined', () => {
    const job = onlyJob(`version: 2.1
executors:
  node:
    docker: [{ image: cimg/node:22.11 }]
    resource_class: small
    working_directory: ~/app
    shell: /bin/bash -eo pipefail
    environment: { A: from-executor, B: from-executor }
jobs:
  build:
    executor: node
    resource_class: large
    environment: { B: from-job }
    steps: [checkout]
workflows:
  w:
    jobs: [build]
`);
    expect(job).toMatchObject({
      resourceClass: { name: 'large' },
      workingDirectory: '~/app',
      shell: '/bin/bash -eo pipefail',
      environment: { A: 'from-executor', B: 'from-job' },
    });
  });

  it('reads environment values written as numbers and booleans as their text', () => {
    const job = onlyJob(
      withJob('docker: [{ image: alpine }]\nenvironment: { PORT: 5432, DEBUG: true, RATIO: 1.10 }\nsteps: [checkout]'),
    );
    expect(job.environment).toEqual({ PORT: '5432', DEBUG: 'true', RATIO: '1.10' });
  });

  it('explains a missing executor, missing steps and a misnamed key', () => {
    const errors = parseErrors(withJob('resource_clas: large'));
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path}: ${e.message}`)).toEqual([
      '4:5 jobs.build: job "build" needs an executor: add `docker:` with a list of images, `machine: true`, or `executor:` naming one under `executors:`',
      '4:5 jobs.build: job "build" needs `steps:`, a list of steps such as `- checkout` and `- run: make test`',
      '4:5 jobs.build.resource_clas: unknown key "resource_clas" in job "build"; expected one of: docker, machine, resource_class, working_directory, environment, shell, executor, steps, parameters, description, parallelism',
    ]);
  });

  it('refuses an unknown executor and a job with both executor and docker', () => {
    const errors = parseErrors(withJob('executor: nope\ndocker: [{ image: alpine }]\nsteps: [checkout]'));
    expect(errors.map((e) => e.message)).toEqual([
      'a job uses either `executor` or `docker`, not both',
      'unknown executor "nope"; no executors are defined under `executors:`',
    ]);
  });
});

describe('docker images', () => {
  it('reads the primary image and services with every supported field', () => {
    const job = onlyJob(
      withJob(`docker:
  - image: cimg/node:22.11
    user: "1000"
    entrypoint: [/bin/sh, -c]
  - image: postgres:16
    name: db
    command: postgres -c fsync=off
    environment: { POSTGRES_PASSWORD: pw }
steps: [checkout]`),
    );
    expect(job.docker).toEqual({
      primary: { image: 'cimg/node:22.11', user: '1000', entrypoint: ['/bin/sh', '-c'], environment: {} },
      services: [
        {
          image: 'postgres:16',
          name: 'db',
          command: ['postgres -c fsync=off'],
          environment: { POSTGRES_PASSWORD: 'pw' },
        },
      ],
    });
  });

  it.each([
    ['privileged: true', /may not request privileged containers/],
    ['volumes: [/var/run/docker.sock:/var/run/docker.sock]', /may not request volumes \(host mounts\)/],
    ['network_mode: host', /may not request network_mode \(the host network\)/],
    ['cap_add: [SYS_ADMIN]', /may not request extra Linux capabilities/],
    ['aws_auth: { aws_access_key_id: x }', /`aws_auth`\) are not supported yet/],
  ])('refuses %s on an image at its line and column', (line, message) => {
    const errors = parseErrors(withJob(`docker:\n  - image: alpine\n    ${line}\nsteps: [checkout]`));
    expect(errors).toEqual([
      expect.objectContaining({ line: 6, column: 9, message: expect.stringMatching(message) as unknown }),
    ]);
  });

  it.each(['privileged: true', 'docker_layer_caching: true', 'volumes: [/:/host]', 'network_mode: host'])(
    'refuses %s on a job',
    (line) => {
      const errors = parseErrors(withJob(`docker: [{ image: alpine }]\n${line}\nsteps: [checkout]`));
      expect(errors[0]?.message).toMatch(
        /pipeline configs can never use privileged mode, host mounts, the Docker socket or the host network/,
      );
    },
  );

  it('refuses an empty image list and an image without `image`', () => {
    expect(parseErrors(withJob('docker: []\nsteps: [checkout]'))[0]?.message).toMatch(/non-empty list of images/);
    expect(parseErrors(withJob('docker: [{ name: db }]\nsteps: [checkout]'))[0]?.message).toMatch(/needs `image`/);
  });

  it("reports a problem of an executor where the executor writes it, also for one passed as a job's parameter, and checks executors no job uses", () => {
    const errors = parseErrors(`version: 2.1
executors:
  broken:
    docker: [{ name: db }]
    resource_class: huge
  unused:
    working_directory: ""
    docker: [{ image: alpine, unknown_key: 1 }]
jobs:
  build:
    parameters:
      os: { type: executor, default: broken }
    executor: << parameters.os >>
    steps: [checkout]
workflows:
  w: { jobs: [build] }
`);
    expect(errors.map((e) => `${e.line}:${e.column} ${e.path}`)).toEqual([
      '4:14 executors.broken.docker[0]',
      '5:21 executors.broken.resource_class',
      '7:24 executors.unused.working_directory',
      '8:31 executors.unused.docker[0].unknown_key',
    ]);
  });
});
