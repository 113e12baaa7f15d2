import { afterAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import Docker from 'dockerode';
import { GenericContainer } from 'testcontainers';
import { runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { bridgeHostAddress } from '../../src/testing/bridge-host-address.js';
import { enforceEgress } from '../support/host-egress.js';
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

  it("clones over HTTPS in the checkout helper from a git server only the builder's extra CA vouches for", async () => {
    // GIVEN a repository served over HTTPS (git's dumb protocol: its files as they are) on this
    // host's address on the default bridge, opened to jobs by the egress policy, with a
    // certificate the helper image's own bundle does not have.
    // The default bridge's address on this host, as a container there sees it: a freshly started
    // engine lists no Gateway in its IPAM, and Node lists no docker0 while no container is on it.
    const gateway = await bridgeHostAddress(docker, APP_IMAGE, { 'gyre.test': 'job-outbound' });
    const gitCert = makeSelfSignedCert(gateway);
    const folder = mkdtempSync(join(tmpdir(), 'gyre-https-git-'));
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: folder })
        .toString()
        .trim();
    git('init', '-q', '-b', 'main', 'work');
    execFileSync('sh', ['-c', 'echo "hello over https" > work/hello.txt'], { cwd: folder });
    git('-C', 'work', 'add', '.');
    git('-C', 'work', 'commit', '-q', '-m', 'first');
    const sha = git('-C', 'work', 'rev-parse', 'HEAD');
    git('clone', '-q', '--bare', 'work', 'repo.git');
    git('-C', 'repo.git', 'update-server-info');
    const server = createServer(
      { cert: readFileSync(gitCert.certFile), key: readFileSync(gitCert.keyFile) },
      (request, response) => {
        try {
          response.end(readFileSync(join(folder, normalize(decodeURIComponent(request.url!.split('?')[0]!)))));
        } catch {
          response.writeHead(404).end();
        }
      },
    );
    await new Promise<void>((resolve) => server.listen(0, gateway, resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      await enforceEgress(backend, [{ block: gateway, ports: { first: port, last: port } }]);
      const gitUrl = `https://${gateway}:${port}/repo.git`;
      const base = makeJob([{ type: 'checkout' }, run('cat hello.txt')]);
      const job = { ...base, context: { ...base.context, gitUrl, sha } };
      const checkoutWith = async (extraCa: string | undefined) => {
        const sink = new RecordingSink();
        const result = await runJob(backend, job, sink, {
          builderName: `outbound-test-${process.pid}`,
          room: { cpus: 1, memoryBytes: 512 * 1024 ** 2 },
          killGraceMs: 500,
          helperImage: APP_IMAGE,
          outbound: { proxy: {}, ...(extraCa !== undefined && { extraCa }) },
        });
        return { result, sink };
      };
      // WHEN the builder trusts the certificate through its extra CA, THEN the clone succeeds.
      const trusted = await checkoutWith(readFileSync(gitCert.certFile, 'utf8'));
      expect(trusted.result).toEqual({ outcome: 'success' });
      expect(trusted.sink.text(2)).toBe('hello over https\n');
      // Without it the same clone is refused: the trust came from Gyre, not from the image.
      const refused = await checkoutWith(undefined);
      expect(refused.result.failedStep?.index).toBe(1);
      expect(refused.sink.text(1)).toMatch(/certificate/i);
    } finally {
      server.close();
      gitCert.remove();
      rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);

  it('adds the extra CA to the file a linked system bundle points at, and leaves the link as it was', async () => {
    // GIVEN an image laid out as Fedora's and RHEL's are: the usual bundle path is a relative link
    // into an extracted trust store
    const context = mkdtempSync(join(tmpdir(), 'gyre-linked-bundle-'));
    writeFileSync(
      join(context, 'Dockerfile'),
      `FROM ${APP_IMAGE}
USER root
RUN mkdir -p /etc/pki/ca-trust/extracted/pem \\
 && mv /etc/ssl/certs/ca-certificates.crt /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem \\
 && ln -s ../../pki/ca-trust/extracted/pem/tls-ca-bundle.pem /etc/ssl/certs/ca-certificates.crt
`,
    );
    const linked = 'gyre/test-linked-ca-bundle:1';
    try {
      await GenericContainer.fromDockerfile(context).build(linked, { deleteOnExit: false });
    } finally {
      rmSync(context, { recursive: true, force: true });
    }
    const certTail = pem.trim().split('\n').at(-2)!;
    const sink = new RecordingSink();
    // WHEN a job of it runs on a builder with an extra CA
    const result = await runJob(
      backend,
      makeJob(
        [
          run(
            `readlink /etc/ssl/certs/ca-certificates.crt; grep -cF '${certTail}' /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem`,
          ),
        ],
        { docker: { primary: image({ image: linked }), services: [] } },
      ),
      sink,
      {
        builderName: `outbound-test-${process.pid}`,
        room: { cpus: 1, memoryBytes: 512 * 1024 ** 2 },
        killGraceMs: 500,
        outbound: { proxy: {}, extraCa: pem },
      },
    );
    // THEN the trust store's file has it, and the link still points there
    expect(result).toEqual({ outcome: 'success' });
    expect(sink.text(1)).toBe('../../pki/ca-trust/extracted/pem/tls-ca-bundle.pem\n1\n');
  }, 120_000);
});
