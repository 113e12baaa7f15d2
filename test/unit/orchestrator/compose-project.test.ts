import { describe, expect, it } from '@jest/globals';
import { engineUnreachable, failingOf, parsePs } from '../../../src/orchestrator/compose/compose-project.js';

/** A row as `docker compose ps --format json` prints it, with the fields Gyre does not read. */
function row(service: string, state: string, health?: string): Record<string, unknown> {
  return {
    ID: `id-${service}`,
    Name: `gyre-${service}-1`,
    Project: 'gyre',
    Service: service,
    State: state,
    ...(health !== undefined && { Health: health }),
    ExitCode: 0,
    Publishers: [],
  };
}

describe('parsePs', () => {
  it('reads one JSON object per line, as Compose v2.21 and later print them', () => {
    const out = `${[row('db', 'running', 'healthy'), row('app', 'running', 'starting'), row('migrate', 'exited', '')].map((r) => JSON.stringify(r)).join('\n')}\n`;

    expect(parsePs(out)).toEqual([
      { id: 'id-db', service: 'db', state: 'running', health: 'healthy' },
      { id: 'id-app', service: 'app', state: 'running', health: 'starting' },
      { id: 'id-migrate', service: 'migrate', state: 'exited', health: '' },
    ]);
  });

  it('reads one JSON array, as older Compose v2 prints it', () => {
    const out = `${JSON.stringify([row('db', 'running', 'healthy'), row('app', 'restarting', 'unhealthy')])}\n`;

    expect(parsePs(out)).toEqual([
      { id: 'id-db', service: 'db', state: 'running', health: 'healthy' },
      { id: 'id-app', service: 'app', state: 'restarting', health: 'unhealthy' },
    ]);
  });

  it('reads a single service on a single line', () => {
    expect(parsePs(JSON.stringify(row('agent', 'running', 'healthy')))).toEqual([
      { id: 'id-agent', service: 'agent', state: 'running', health: 'healthy' },
    ]);
  });

  it.each([
    { shape: 'lines', out: JSON.stringify(row('agent', 'running')) },
    { shape: 'an array', out: JSON.stringify([row('agent', 'running')]) },
  ])('gives a service without a health check an empty health, in $shape', ({ out }) => {
    expect(parsePs(out)).toEqual([{ id: 'id-agent', service: 'agent', state: 'running', health: '' }]);
  });

  it('reads lines ended with CRLF', () => {
    const out = `${JSON.stringify(row('db', 'running', 'healthy'))}\r\n${JSON.stringify(row('app', 'running'))}\r\n`;

    expect(parsePs(out)).toEqual([
      { id: 'id-db', service: 'db', state: 'running', health: 'healthy' },
      { id: 'id-app', service: 'app', state: 'running', health: '' },
    ]);
  });

  it.each([
    { case: 'empty output', out: '' },
    { case: 'only whitespace', out: ' \n\n' },
    { case: 'an empty array', out: '[]\n' },
  ])('finds no services in $case', ({ out }) => {
    expect(parsePs(out)).toEqual([]);
  });
});

describe('failingOf: which services `gyre up` restarts', () => {
  const service = (id: string, state: string, health: string) => ({ id, service: id, state, health });

  it('takes those restarting, unhealthy, or running again after Docker restarted them; never one merely not probed yet', () => {
    const services = [
      service('a', 'restarting', 'unhealthy'),
      service('b', 'running', 'unhealthy'),
      service('c', 'running', 'starting'),
      service('d', 'running', 'starting'),
      service('e', 'running', 'healthy'),
      service('f', 'running', ''),
      service('g', 'exited', ''),
    ];
    expect(failingOf(services, new Set(['c'])).map((s) => s.id)).toEqual(['a', 'b', 'c']);
    // A healthy container Docker once restarted is left alone.
    expect(failingOf(services, new Set(['e'])).map((s) => s.id)).toEqual(['a', 'b']);
  });
});

// The words below are what Compose v2.26 and bash 5.2 print, captured on the development machine.
describe('engineUnreachable', () => {
  it.each([
    'Cannot connect to the Docker daemon at unix:///nonexist.sock. Is the docker daemon running?',
    'Cannot connect to the Docker daemon at tcp://127.0.0.1:1. Is the docker daemon running?',
    'error during connect: Get "http://nohost.invalid:2375/v1.45/containers/json": dial tcp: lookup nohost.invalid on 10.255.255.53:53: no such host',
    'error during connect: Get "http://docker.example.com/v1.45/info": command [ssh -o ConnectTimeout=30 -- b.example docker system dial-stdio] has exited with exit status 255',
  ])('blames the engine for %s', (said) => {
    expect(engineUnreachable(said)).toBe(true);
  });

  it.each([
    // The HTTP probe run by `exec` while the app is still starting: the engine answered fine.
    'bash: connect: Connection refused\nbash: line 1: /dev/tcp/127.0.0.1/8800: Connection refused',
    'service "app" is not running',
    'no such service: agent',
  ])('does not blame the engine for %s', (said) => {
    expect(engineUnreachable(said)).toBe(false);
  });
});
