import { describe, expect, it } from '@jest/globals';
import { forkDockerRefusal } from '../../../../../src/services/core/access/fork-docker.js';

const remote = { steps: [{ type: 'checkout' }, { type: 'setup_remote_docker', dockerLayerCaching: false }] };
const machine = { machine: true, steps: [{ type: 'run' }] };
const plain = { steps: [{ type: 'checkout' }, { type: 'run' }] };

describe("Docker in builds for forks' pull requests", () => {
  it('refuses a job with setup_remote_docker or the machine executor in a build that gets no secrets, naming which', () => {
    expect(forkDockerRefusal(remote, true)).toBe(
      "builds of pull requests from forks get no Docker in builds, and this job uses setup_remote_docker; a maintainer can pass secrets to builds from forks in the project's settings, which gives them Docker in builds where an administrator allowed the project it, and then rerun the job",
    );
    expect(forkDockerRefusal(machine, true)).toContain('this job uses the machine executor');
  });

  it('lets a job without Docker through, and any job of a build that gets the secrets', () => {
    expect(forkDockerRefusal(plain, true)).toBeUndefined();
    expect(forkDockerRefusal(remote, false)).toBeUndefined();
    expect(forkDockerRefusal(machine, false)).toBeUndefined();
    // An approval job has no spec.
    expect(forkDockerRefusal(null, true)).toBeUndefined();
  });
});
