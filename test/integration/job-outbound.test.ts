import { afterAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { image, makeJob, RecordingSink, run } from '../support/runner-jobs.js';
import { makeSelfSignedCert } from '../support/self-signed-cert.js';

// GIVEN the local engine, and an HTTPS server among the job's services whose certificate only
// the builder's extra CA bundle vouches for (a TLS-inspecting proxy's or an internal CA, here the
// self-signed certificate itself).
const docker = new Docker();
const backend = new DockerJobBackend(docker);
const APP_IMAGE = 'gyre/app:0.1.0';
const cert = makeSelfSignedCert('tls-server');
const pem = readFileSync(cert.certFile, 'utf8');

afterAll(() => cert.remove());

const SERVER = image({
  image: APP_IMAGE,
  name: 'tls-server',
  environment: { CERT: pem, KEY: readFileSync(cert.keyFile, 'utf8') },
  entrypoint: [
    'node',
    '-e',
    "require('node:https').createServer({ cert: process.env.CERT, key: process.env.KEY }, (q, s) => s.end('trusted\\n')).listen(8443);",
  ],
});

const fetchWith = (node: string) =>
  `${node} -e "fetch('https://tls-server:8443/').then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.log(String(e.cause ?? e)); process.exit(1); })"`;

describe('the proxy and extra CA inside jobs', () => {
  it('trusts the extra CA in the primary through the variables and bundles tools read, and passes the proxy in both cases', async () => {
    const sink = new RecordingSink();
    // The last line of base64 in the certificate: found in a bundle only if the certificate was added.
    const certTail = pem.trim().split('\n').at(-2)!;
    const job = makeJob(
      [
        run(`until ${fetchWith('node')} > /dev/null 2>&1; do sleep 0.2; done`, { noOutputTimeoutMs: 30_000 }),
        run(fetchWith('node')),
        run(fetchWith('node --use-openssl-ca')),
        run(fetchWith('env -u NODE_EXTRA_CA_CERTS -u SSL_CERT_FILE node --use-bundled-ca'), { when: 'always' }),
        run(`grep -cF '${certTail}' /etc/ssl/certs/ca-certificates.crt /gyre/ca-bundle.pem /gyre/extra-ca.pem`, {
          when: 'always',
        }),
        run('echo $HTTPS_PROXY $https_proxy; echo $NO_PROXY; echo $GIT_SSL_CAINFO $REQUESTS_CA_BUNDLE', {
          when: 'always',
        }),
      ],
      {
        docker: { primary: image({ image: APP_IMAGE, user: 'nobody' }), services: [SERVER] },
        workingDirectory: '/tmp/project',
      },
    );

    const result = await runJob(backend, job, sink, {
      builderName: `outbound-test-${process.pid}`,
      room: { cpus: 1, memoryBytes: 512 * 1024 ** 2 },
      killGraceMs: 500,
      outbound: { proxy: { https: 'http://proxy.internal:3128', noProxy: '.corp' }, extraCa: pem },
    });

    // THEN Node trusts it by NODE_EXTRA_CA_CERTS, OpenSSL by SSL_CERT_FILE (the image's bundle plus
    // the extra CA), and without them the same request is refused: the trust came from Gyre.
    expect(sink.text(2)).toBe('trusted\n');
    expect(sink.text(3)).toBe('trusted\n');
    expect(sink.text(4)).toMatch(/self-signed certificate/);
    expect(result.failedStep?.index).toBe(4);
    // The image's own bundle has it too (curl, wget and git read it), although the job's user is not root.
    expect(sink.text(5).trim().split('\n')).toEqual([
      '/etc/ssl/certs/ca-certificates.crt:1',
      '/gyre/ca-bundle.pem:1',
      '/gyre/extra-ca.pem:1',
    ]);
    expect(sink.text(6).trim().split('\n')).toEqual([
      'http://proxy.internal:3128 http://proxy.internal:3128',
      '.corp,localhost,127.0.0.1,::1,tls-server',
      '/gyre/ca-bundle.pem /gyre/ca-bundle.pem',
    ]);
  }, 60_000);
});
