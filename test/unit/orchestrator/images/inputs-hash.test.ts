import { describe, expect, it } from '@jest/globals';
import { computeInputsHash, type ImageInputs } from '../../../../src/orchestrator/images/inputs-hash.js';

const base: ImageInputs = {
  files: [
    { path: 'Dockerfile', sha256: 'aa', executable: false },
    { path: 'docker-entrypoint.sh', sha256: 'bb', executable: true },
  ],
  args: { BASE_IMAGE: 'debian:bookworm-slim', DEBIAN_SUITE: 'bookworm' },
  baseImageId: 'sha256:0001',
};

describe('computeInputsHash', () => {
  it('gives the same fingerprint whatever the order of files and arguments', () => {
    const reordered = {
      ...base,
      files: [...base.files].reverse(),
      args: { DEBIAN_SUITE: 'bookworm', BASE_IMAGE: 'debian:bookworm-slim' },
    };
    expect(computeInputsHash(reordered)).toBe(computeInputsHash(base));
    expect(computeInputsHash(base)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.each([
    { change: 'a file content', inputs: { ...base, files: [base.files[0]!, { ...base.files[1]!, sha256: 'cc' }] } },
    {
      change: 'an executable bit',
      inputs: { ...base, files: [base.files[0]!, { ...base.files[1]!, executable: false }] },
    },
    {
      change: 'a file name',
      inputs: { ...base, files: [base.files[0]!, { ...base.files[1]!, path: 'entrypoint.sh' }] },
    },
    {
      change: 'an added file',
      inputs: { ...base, files: [...base.files, { path: 'x', sha256: 'dd', executable: false }] },
    },
    { change: 'a build argument', inputs: { ...base, args: { ...base.args, DEBIAN_SUITE: 'trixie' } } },
    { change: 'the base image', inputs: { ...base, baseImageId: 'sha256:0002' } },
    { change: 'a label such as the version', inputs: { ...base, labels: { 'io.gyre.version': '0.2.0' } } },
  ])('changes when $change changes, so the image is rebuilt', ({ inputs }) => {
    expect(computeInputsHash(inputs)).not.toBe(computeInputsHash(base));
  });

  it('does not confuse an argument value with a file entry', () => {
    const a = computeInputsHash({ files: [], args: { A: 'x\nfile "y" - z' } });
    const b = computeInputsHash({ files: [{ path: 'y', sha256: 'z', executable: false }], args: { A: 'x' } });
    expect(a).not.toBe(b);
  });
});
