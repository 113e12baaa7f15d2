import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { StateFolder } from '../../../src/orchestrator/state-folder.js';
import { GyreError } from '../../../src/shared/errors.js';

let root: string;
/** A stateFolder in a folder that does not exist yet, as `.gyre` before the first `gyre up`. */
let stateFolder: StateFolder;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'gyre-stateFolder-'));
  stateFolder = new StateFolder(join(root, '.gyre'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** An environment with neither GYRE_API_URL nor GYRE_API_TOKEN, so the caller's shell does not leak in. */
const noEnv = {};

describe('StateFolder: the API record', () => {
  it('saves the API address and token where only the owner can read them, creating the folder', () => {
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080', token: 'gyre_secret' });

    const file = join(stateFolder.dir, 'api.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: 'http://10.0.0.5:8080', token: 'gyre_secret' });
  });

  it('keeps the token readable by its owner only even when an older api.json was readable by others', () => {
    mkdirSync(stateFolder.dir, { recursive: true });
    writeFileSync(join(stateFolder.dir, 'api.json'), '{}', { mode: 0o644 });
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080', token: 'gyre_secret' });

    expect(statSync(join(stateFolder.dir, 'api.json')).mode & 0o777).toBe(0o600);
  });

  it('treats an empty GYRE_API_URL or GYRE_API_TOKEN as unset', () => {
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080', token: 'gyre_secret' });

    expect(stateFolder.loadApi({ GYRE_API_URL: '', GYRE_API_TOKEN: '' })).toEqual({
      url: 'http://10.0.0.5:8080',
      token: 'gyre_secret',
    });
  });

  it('loads what it saved', () => {
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080', token: 'gyre_secret' });

    expect(stateFolder.loadApi(noEnv)).toEqual({ url: 'http://10.0.0.5:8080', token: 'gyre_secret' });
  });

  it("keeps an HTTPS box's CA bundle with the record, and lets GYRE_API_CA_FILE name another", () => {
    stateFolder.saveApi({ url: 'https://ci.example.com', token: 'gyre_secret', caFile: '/srv/gyre/tls/cert.pem' });

    expect(stateFolder.loadApi(noEnv)).toEqual({
      url: 'https://ci.example.com',
      token: 'gyre_secret',
      caFile: '/srv/gyre/tls/cert.pem',
    });
    expect(stateFolder.loadApi({ GYRE_API_CA_FILE: '/etc/private-ca.pem' })?.caFile).toBe('/etc/private-ca.pem');
  });

  it('replaces the record on a second save', () => {
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080', token: 'old' });
    stateFolder.saveApi({ url: 'http://10.0.0.6:8080', token: 'new' });

    expect(stateFolder.loadApi(noEnv)).toEqual({ url: 'http://10.0.0.6:8080', token: 'new' });
  });

  it('has no record before anything is saved', () => {
    expect(stateFolder.loadApi(noEnv)).toBeUndefined();
  });

  it('lets GYRE_API_URL and GYRE_API_TOKEN take precedence over the saved record', () => {
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080', token: 'saved' });

    expect(stateFolder.loadApi({ GYRE_API_URL: 'https://gyre.example.com', GYRE_API_TOKEN: 'from-env' })).toEqual({
      url: 'https://gyre.example.com',
      token: 'from-env',
    });
    expect(stateFolder.loadApi({ GYRE_API_TOKEN: 'from-env' })).toEqual({
      url: 'http://10.0.0.5:8080',
      token: 'from-env',
    });
    expect(stateFolder.loadApi({ GYRE_API_URL: 'https://gyre.example.com' })).toEqual({
      url: 'https://gyre.example.com',
      token: 'saved',
    });
  });

  it('needs no saved record when both variables are set', () => {
    expect(stateFolder.loadApi({ GYRE_API_URL: 'https://gyre.example.com', GYRE_API_TOKEN: 'from-env' })).toEqual({
      url: 'https://gyre.example.com',
      token: 'from-env',
    });
  });

  it('has no record when only one of the variables is set and nothing is saved', () => {
    expect(stateFolder.loadApi({ GYRE_API_URL: 'https://gyre.example.com' })).toBeUndefined();
    expect(stateFolder.loadApi({ GYRE_API_TOKEN: 'from-env' })).toBeUndefined();
  });

  it('trims trailing slashes from the URL, saved or from the environment', () => {
    stateFolder.saveApi({ url: 'http://10.0.0.5:8080/', token: 'saved' });

    expect(stateFolder.loadApi(noEnv)?.url).toBe('http://10.0.0.5:8080');
    expect(stateFolder.loadApi({ GYRE_API_URL: 'https://gyre.example.com/gyre//' })?.url).toBe(
      'https://gyre.example.com/gyre',
    );
  });

  it('fails with a GyreError naming api.json when it is damaged', () => {
    mkdirSync(stateFolder.dir, { recursive: true });
    const file = join(stateFolder.dir, 'api.json');
    writeFileSync(file, '{"url": "http://10.0.0.5:8080", "tok');

    expect(() => stateFolder.loadApi(noEnv)).toThrow(GyreError);
    expect(() => stateFolder.loadApi(noEnv)).toThrow(`${file} is damaged`);
  });
});

describe('StateFolder: builder host records', () => {
  const b1 = {
    name: 'b1',
    host: 'tcp://10.0.0.7:2376',
    tls: { tlsCa: '/certs/ca.pem', tlsCert: '/certs/cert.pem', tlsKey: '/certs/key.pem' },
    apiPort: 7001,
    servicesUrl: 'http://10.0.0.5',
    slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
  };
  const b2 = {
    name: 'b2',
    host: '',
    apiPort: 7002,
    servicesUrl: 'http://10.0.0.5',
    slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
  };

  it('keeps each builder in a folder of its own and reads its record back as saved', () => {
    stateFolder.saveBuilderHost(b1);
    stateFolder.saveBuilderHost(b2);

    expect(existsSync(join(stateFolder.builderDir('b1'), 'host.json'))).toBe(true);
    expect(stateFolder.builderHost('b1')).toEqual(b1);
    expect(stateFolder.builderHost('b2')).toEqual(b2);
  });

  it('has no record for a builder it never saved', () => {
    stateFolder.saveBuilderHost(b1);

    expect(stateFolder.builderHost('b9')).toBeUndefined();
  });

  it('lists every builder it has a record for', () => {
    stateFolder.saveBuilderHost(b1);
    stateFolder.saveBuilderHost(b2);

    expect([...stateFolder.builderHosts()].sort((x, y) => x.name.localeCompare(y.name))).toEqual([b1, b2]);
  });

  it('lists nothing before any builder is joined', () => {
    expect(stateFolder.builderHosts()).toEqual([]);
  });

  it('leaves out builder folders that hold no host record', () => {
    stateFolder.saveBuilderHost(b1);
    mkdirSync(stateFolder.builderDir('half-joined'), { recursive: true });

    expect(stateFolder.builderHosts()).toEqual([b1]);
  });

  it('replaces the record when a builder is saved again', () => {
    stateFolder.saveBuilderHost(b2);
    stateFolder.saveBuilderHost({
      ...b2,
      host: 'ssh://ci@builder-2',
      apiPort: 7003,
      servicesUrl: 'http://10.0.0.5',
      slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
    });

    expect(stateFolder.builderHosts()).toEqual([
      {
        name: 'b2',
        host: 'ssh://ci@builder-2',
        apiPort: 7003,
        servicesUrl: 'http://10.0.0.5',
        slots: { slotCpus: 2, slotMemoryBytes: 4 * 1024 ** 3 },
      },
    ]);
  });

  it('forgets a builder: its record and its folder are gone, the others stay', () => {
    stateFolder.saveBuilderHost(b1);
    stateFolder.saveBuilderHost(b2);
    writeFileSync(join(stateFolder.builderDir('b1'), 'builder.yml'), 'services: {}\n');

    stateFolder.forgetBuilder('b1');

    expect(stateFolder.builderHost('b1')).toBeUndefined();
    expect(existsSync(stateFolder.builderDir('b1'))).toBe(false);
    expect(stateFolder.builderHosts()).toEqual([b2]);
  });

  it('forgets a builder it never knew without complaint', () => {
    expect(() => stateFolder.forgetBuilder('b9')).not.toThrow();
  });

  it('fails with a GyreError naming host.json when it is damaged', () => {
    stateFolder.saveBuilderHost(b1);
    const file = join(stateFolder.builderDir('b1'), 'host.json');
    writeFileSync(file, 'not json');

    expect(() => stateFolder.builderHost('b1')).toThrow(GyreError);
    expect(() => stateFolder.builderHost('b1')).toThrow(`${file} is damaged`);
    expect(() => stateFolder.builderHosts()).toThrow(`${file} is damaged`);
  });
});
