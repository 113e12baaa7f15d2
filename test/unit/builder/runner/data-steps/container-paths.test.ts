import { describe, expect, it } from '@jest/globals';
import { parsePlacesProbe, resolveInContainer } from '../../../../../src/builder/runner/data-steps/container-paths.js';

const places = { home: '/home/circleci', workingDirectory: '~/project' };

describe('resolveInContainer', () => {
  it.each([
    ['~', '/home/circleci'],
    ['~/.npm', '/home/circleci/.npm'],
    ['node_modules', '/home/circleci/project/node_modules'],
    ['./dist/', '/home/circleci/project/dist'],
    ['../shared', '/home/circleci/shared'],
    ['/tmp/workspace/', '/tmp/workspace'],
    ['/', '/'],
  ])('resolves %j as CircleCI does: %s', (path, absolute) => {
    expect(resolveInContainer(path, places)).toBe(absolute);
  });

  it('takes a relative working directory from the home folder, and an absolute one as it is', () => {
    expect(resolveInContainer('out', { home: '/root', workingDirectory: 'app' })).toBe('/root/app/out');
    expect(resolveInContainer('out', { home: '/root', workingDirectory: '/src' })).toBe('/src/out');
  });
});

describe('parsePlacesProbe', () => {
  it('reads the home folder, the owner and the arch as CircleCI writes it; an unset home is /', () => {
    expect(parsePlacesProbe('/home/circleci\nx86_64\n3434\n3434\n6\n85\n', '~/project')).toEqual({
      home: '/home/circleci',
      workingDirectory: '~/project',
      arch: 'arch1-linux-amd64-6_85',
      uid: 3434,
      gid: 3434,
    });
    expect(parsePlacesProbe('\naarch64\n0\n0\n', '/src')).toMatchObject({ home: '/', arch: 'arch1-linux-arm64' });
  });
});
