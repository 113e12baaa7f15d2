import { describe, expect, it } from '@jest/globals';
import { describeWait, type BuilderShape } from '../../../../../src/services/core/scheduler/wait-reason.js';

const GiB = 1024 ** 3;
/** A builder of two 2-CPU, 4 GiB slots: room for 4 CPUs and 8 GiB, of which `used` is taken. */
const builder = (
  overrides: {
    state?: BuilderShape['state'];
    cpus?: number | null;
    memoryBytes?: number;
    dockerInBuilds?: BuilderShape['dockerInBuilds'];
  } = {},
  used = { cpus: 0, memoryBytes: 0 },
): BuilderShape => {
  const cpus = overrides.cpus === undefined ? 4 : overrides.cpus;
  const memoryBytes = overrides.memoryBytes ?? 8 * GiB;
  return {
    state: overrides.state ?? 'active',
    room: {
      cpus,
      memoryBytes,
      usedCpus: used.cpus,
      usedMemoryBytes: used.memoryBytes,
      freeCpus: cpus === null ? null : cpus - used.cpus,
      freeMemoryBytes: memoryBytes - used.memoryBytes,
    },
    dockerInBuilds: overrides.dockerInBuilds ?? 'off',
  };
};
const xlarge = { cpus: 8, memoryBytes: 16 * GiB, dockerLevel: 0, dockerAllowed: false, untrustedFork: false };
const large = { cpus: 4, memoryBytes: 8 * GiB, dockerLevel: 0, dockerAllowed: false, untrustedFork: false };

describe('describeWait', () => {
  it('says a rerun with SSH waits for a builder that offers SSH, and not once one does', () => {
    const ssh = { ...large, ssh: true };
    expect(describeWait(ssh, [builder()])).toBe(
      'is a rerun with SSH, and no connected builder offers SSH: an administrator sets GYRE_SSH_PORTS on a builder (it is off on these), or cancel the job and rerun it without SSH',
    );
    expect(describeWait(ssh, [builder(), { ...builder(), ssh: { host: 'b', port: 64535 } }])).toBe(
      'a builder has room for it: it starts when the jobs queued before it have theirs',
    );
  });

  it("says a job is too large for every builder's whole room, naming both sizes", () => {
    expect(describeWait(xlarge, [builder(), builder({ memoryBytes: 2 * GiB })])).toBe(
      'needs 8 CPU / 16 GiB; the largest builder has 4 CPU / 8 GiB for jobs',
    );
  });

  it('says when no builder is connected', () => {
    expect(describeWait(large, [builder({ state: 'lost' }), builder({ state: 'revoked' })])).toBe(
      'no builder is connected; join one with `gyre builder join`',
    );
  });

  it("names the most a fitting builder has free when the job's class does not fit what is left", () => {
    expect(
      describeWait(large, [
        builder({}, { cpus: 2, memoryBytes: 4 * GiB }),
        builder({}, { cpus: 3, memoryBytes: 6 * GiB }),
      ]),
    ).toBe('waiting for room: needs 4 CPU / 8 GiB; the most free on a builder that fits it is 2 CPU / 4 GiB');
  });

  it('counts a builder without a CPU limit as fitting any CPU need', () => {
    expect(
      describeWait(xlarge, [builder({ cpus: null, memoryBytes: 16 * GiB }, { cpus: 1, memoryBytes: 2 * GiB })]),
    ).toBe('waiting for room: needs 8 CPU / 16 GiB; the most free on a builder that fits it is unlimited CPU / 14 GiB');
  });

  it('says the job waits only for its turn when a builder has room for it now', () => {
    expect(describeWait(large, [builder()])).toBe(
      'a builder has room for it: it starts when the jobs queued before it have theirs',
    );
  });

  it('says a job with setup_remote_docker waits for a builder that offers Docker in builds, and which setting does it', () => {
    expect(
      describeWait({ ...large, dockerLevel: 1, dockerAllowed: true, untrustedFork: false }, [
        builder(),
        builder({ cpus: 8, memoryBytes: 16 * GiB }),
      ]),
    ).toBe(
      'needs Docker in builds (setup_remote_docker); no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=remote on a builder',
    );
  });

  it('says a machine job waits for a builder that offers the machine executor, which one with setup_remote_docker only does not', () => {
    expect(
      describeWait({ ...large, dockerLevel: 2, dockerAllowed: true, untrustedFork: false }, [
        builder({ dockerInBuilds: 'remote' }),
      ]),
    ).toBe(
      'needs the machine executor; no builder offers it: an administrator sets GYRE_DOCKER_IN_BUILDS=machine on a builder',
    );
    expect(
      describeWait({ ...large, dockerLevel: 1, dockerAllowed: true, untrustedFork: false }, [
        builder({ dockerInBuilds: 'machine' }),
      ]),
    ).toBe('a builder has room for it: it starts when the jobs queued before it have theirs');
  });

  it("says a Docker job of a project not allowed Docker in builds waits for an administrator's grant, even beside a builder that offers it", () => {
    const grant =
      "needs Docker in builds, which its project is not allowed: an administrator allows it on the admin console's Projects page";
    expect(describeWait({ ...large, dockerLevel: 1 }, [builder({ dockerInBuilds: 'machine' })])).toBe(grant);
    expect(describeWait({ ...large, dockerLevel: 2 }, [builder({ dockerInBuilds: 'machine' })])).toBe(grant);
    // A fork's pull request without the project's secrets gets no Docker, granted or not.
    expect(describeWait({ ...large, dockerLevel: 1, dockerAllowed: true, untrustedFork: true }, [builder()])).toBe(
      "needs Docker in builds, which a fork's pull request gets only where the project passes forks its secrets (project settings); it never starts otherwise: cancel it",
    );
    // A job without Docker never waits for the grant, fork or not.
    expect(describeWait({ ...large, untrustedFork: true }, [builder()])).toBe(
      'a builder has room for it: it starts when the jobs queued before it have theirs',
    );
    expect(describeWait(large, [builder()])).toBe(
      'a builder has room for it: it starts when the jobs queued before it have theirs',
    );
  });

  it('sizes a job with setup_remote_docker against the builders that offer Docker in builds only', () => {
    const fleet = [builder({ dockerInBuilds: 'remote', memoryBytes: 2 * GiB }), builder({ memoryBytes: 16 * GiB })];
    expect(describeWait({ ...large, dockerLevel: 1, dockerAllowed: true, untrustedFork: false }, fleet)).toBe(
      'needs 4 CPU / 8 GiB; the largest builder has 4 CPU / 2 GiB for jobs',
    );
    expect(describeWait(large, fleet)).toBe(
      'a builder has room for it: it starts when the jobs queued before it have theirs',
    );
  });

  it('says when only draining builders fit', () => {
    expect(
      describeWait({ cpus: 2, memoryBytes: GiB, dockerLevel: 0, dockerAllowed: false, untrustedFork: false }, [
        builder({ state: 'draining' }),
        builder({ memoryBytes: GiB / 2 }),
      ]),
    ).toBe('every builder that fits this job is draining; add a builder or cancel the drain');
  });
});
