import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { freePort } from '../../src/testing/free-port.js';
import { gyreIn, removeInstall } from '../support/install-folder.js';
import { expectNoServicesStack } from '../support/services-stack-objects.js';

// GIVEN an install made as the README's HTTPS section says, from a folder of its own:
// `gyre init --self-signed-tls` (a certificate for localhost and 127.0.0.1), then
// `gyre up --with-builder` on this machine's Docker Engine, on free loopback ports.
//
// The Compose project names are fixed (gyre-services, gyre-builder-local), so this file runs in
// the docker lane, one file at a time, and refuses a stack that is already there.
let work: string;
let httpPort: number;
let httpsPort: number;

/** The built CLI, as an operator runs it, in the install's folder. */
const gyre = (args: readonly string[], timeoutMs?: number) => gyreIn(work, args, timeoutMs);

beforeAll(async () => {
  await expectNoServicesStack();
  work = mkdtempSync(join(tmpdir(), 'gyre-tls-'));
  [httpPort, httpsPort] = [await freePort(), await freePort()];
  const init = gyre(['init', '--env', '.env', '--hostname', 'localhost', '--self-signed-tls']);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  writeFileSync(
    join(work, '.env'),
    `\nGYRE_BIND_ADDRESS=127.0.0.1\nGYRE_HTTP_PORT=${httpPort}\nGYRE_HTTPS_PORT=${httpsPort}\nGYRE_ADMIN_PORT=${await freePort()}\n`,
    { flag: 'a' },
  );
}, 120_000);

afterAll(() => removeInstall(work), 600_000);

describe('an install with TLS on', () => {
  it('is brought up with its builder over HTTPS, and `gyre` talks to it over HTTPS only', async () => {
    const up = gyre(['up', '--with-builder']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    const httpsUrl = `https://localhost:${httpsPort}`;
    expect(up.stdout).toContain(httpsUrl);

    // `gyre up` saved the HTTPS address and the certificate that vouches for it.
    expect(JSON.parse(readFileSync(join(work, '.gyre/api.json'), 'utf8'))).toMatchObject({
      url: httpsUrl,
      caFile: join(work, 'tls/cert.pem'),
    });

    // The builder on this host joined over HTTPS (the plain port would only have redirected it).
    const [agent] = await new Docker().listContainers({
      filters: JSON.stringify({ label: ['com.docker.compose.project=gyre-builder-local'] }),
    });
    const agentEnv = (await new Docker().getContainer(agent!.Id).inspect()).Config.Env;
    expect(agentEnv).toContain(`GYRE_SERVICES_URL=${httpsUrl}`);
    const status = gyre(['status', '--json'], 120_000);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      healthy: true,
      builders: { total: 1, byState: { active: 1 } },
    });

    // A builder is not joined to the plain address, where its credential would cross in clear.
    // (One slot without a CPU limit, as `gyre up --with-builder` joins one, fits this small host.)
    const plainJoin = gyre([
      ...['builder', 'join', '--name', 'plain', '--slots', '1', '--slot-cpus', '0'],
      ...['--services-url', `http://localhost:${httpPort}`],
    ]);
    expect(plainJoin.code).toBe(2);
    expect(plainJoin.stderr).toContain('plain HTTP, but the services box has TLS on');
    expect(plainJoin.stderr).toContain(`--services-url https://localhost:${httpsPort}`);

    // The plain port keeps nothing but health probes: the API sends the token's bearer to HTTPS.
    const { token } = JSON.parse(readFileSync(join(work, '.gyre/api.json'), 'utf8')) as { token: string };
    const plain = await fetch(`http://127.0.0.1:${httpPort}/api/v1/builders`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: 'manual',
    });
    expect(plain.status).toBe(308);
    expect(plain.headers.get('location')).toBe(`${httpsUrl}/api/v1/builders`);
  }, 900_000);
});
