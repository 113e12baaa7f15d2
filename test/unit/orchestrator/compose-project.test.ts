import { describe, expect, it } from '@jest/globals';
import { parsePs } from '../../../src/orchestrator/compose/compose-project.js';

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
      { service: 'db', state: 'running', health: 'healthy' },
      { service: 'app', state: 'running', health: 'starting' },
      { service: 'migrate', state: 'exited', health: '' },
    ]);
  });

  it('reads one JSON array, as older Compose v2 prints it', () => {
    const out = `${JSON.stringify([row('db', 'running', 'healthy'), row('app', 'restarting', 'unhealthy')])}\n`;

    expect(parsePs(out)).toEqual([
      { service: 'db', state: 'running', health: 'healthy' },
      { service: 'app', state: 'restarting', health: 'unhealthy' },
    ]);
  });

  it('reads a single service on a single line', () => {
    expect(parsePs(JSON.stringify(row('agent', 'running', 'healthy')))).toEqual([
      { service: 'agent', state: 'running', health: 'healthy' },
    ]);
  });

  it.each([
    { shape: 'lines', out: JSON.stringify(row('agent', 'running')) },
    { shape: 'an array', out: JSON.stringify([row('agent', 'running')]) },
  ])('gives a service without a health check an empty health, in $shape', ({ out }) => {
    expect(parsePs(out)).toEqual([{ service: 'agent', state: 'running', health: '' }]);
  });

  it('reads lines ended with CRLF', () => {
    const out = `${JSON.stringify(row('db', 'running', 'healthy'))}\r\n${JSON.stringify(row('app', 'running'))}\r\n`;

    expect(parsePs(out)).toEqual([
      { service: 'db', state: 'running', health: 'healthy' },
      { service: 'app', state: 'running', health: '' },
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
