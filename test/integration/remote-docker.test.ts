import { afterAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import Docker from 'dockerode';
import { cleanupBuilder, LayerCaches, runJob } from '../../src/builder/runner/index.js';
import { DockerJobBackend } from '../../src/docker/index.js';
import { LABELS } from '../../src/shared/labels.js';
import { image, makeJob, RecordingSink, run } from '../support/runner-jobs.js';

// GIVEN the local engine and Gyre's engine image, which also serves as the job's primary here:
// it has the Docker CLI, openssl and tar, and no registry is reachable, so the job builds its
// images from files of its own primary (`docker import`) instead of pulling any.
const docker = new Docker();
const backend = new DockerJobBackend(docker);
const ENGINE_IMAGE = 'gyre/engine:0.1.0';
const BUILDER = `remote-docker-test-${process.pid}`;
/** A file on the builder host that no container of the job may read. */
const HOST_MARKER = `/tmp/gyre-host-marker-${process.pid}`;
const secret = randomBytes(12).toString('hex');
writeFileSync(HOST_MARKER, secret);

afterAll(async () => {
  rmSync(HOST_MARKER, { force: true });
  await cleanupBuilder(backend, BUILDER);
});

/** A minimal image of the primary's own dash, cat and openssl, made inside the job's engine. */
const IMPORT_MINI = String.raw`set -e
files="/usr/bin/dash /usr/bin/cat /usr/bin/openssl /usr/lib/ssl/openssl.cnf $(ldd /usr/bin/openssl /usr/bin/dash /usr/bin/cat | awk '/=>/{print $3} /ld-linux/{print $1}' | sort -u)"
tar -chf - $files 2>/dev/null | docker import - mini:1 >/dev/null
docker image ls --format '{{.Repository}}:{{.Tag}}' mini`;

const BUILD_AND_SERVE = String.raw`set -e
mkdir -p /tmp/ctx
cat > /tmp/ctx/Dockerfile <<'EOF'
FROM mini:1
RUN ["/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=inner", "-keyout", "/key.pem", "-out", "/cert.pem"]
EOF
docker build -q -t served:1 /tmp/ctx >/dev/null
docker run -d -p 8443:8443 --name web served:1 /usr/bin/openssl s_server -accept 8443 -www -cert /cert.pem -key /key.pem >/dev/null
for i in $(seq 50); do
  if printf 'GET / HTTP/1.0\r\n\r\n' | timeout 5 openssl s_client -connect remote-docker:8443 -quiet 2>/dev/null | head -1 | grep -q '200 ok'; then
    echo "served through remote-docker:8443"; exit 0
  fi
  sleep 0.2
done
echo "nothing answered at remote-docker:8443"; exit 1`;

const ASK_ENGINE = String.raw`ask() { printf 'GET /version HTTP/1.0\r\n\r\n' | timeout 10 openssl s_client -connect remote-docker:2376 -verify_hostname remote-docker -verify_return_error -CAfile $DOCKER_CERT_PATH/ca.pem "$@" -quiet 2>/dev/null | grep -o '"ApiVersion"' | head -1; }
echo "with the certificate: $(ask -cert $DOCKER_CERT_PATH/cert.pem -key $DOCKER_CERT_PATH/key.pem)"
echo "without: $(ask)"
DOCKER_TLS_VERIFY= DOCKER_CERT_PATH= docker version >/dev/null 2>&1 || echo 'refused without TLS'`;

describe('setup_remote_docker: a Docker engine of the job’s own', () => {
  it('builds, runs and publishes from the primary through DOCKER_HOST, and sees neither the host engine nor its files', async () => {
    const sink = new RecordingSink();
    const job = makeJob(
      [
        {
          type: 'setup_remote_docker',
          name: 'Setup a remote Docker engine',
          when: 'on_success',
          dockerLayerCaching: false,
        },
        run(
          'echo $DOCKER_HOST $DOCKER_TLS_VERIFY $DOCKER_CERT_PATH; ls $DOCKER_CERT_PATH; stat -c %a $DOCKER_CERT_PATH/key.pem',
        ),
        run(IMPORT_MINI),
        run(BUILD_AND_SERVE),
        // The engine's root is its own container's: the builder host's file is not there.
        run(
          `docker run --rm -v /:/host mini:1 /usr/bin/cat /host${HOST_MARKER} 2>&1 || echo "not on the engine's host"`,
        ),
        run(
          "docker info --format '{{.SecurityOptions}}'; test -e /var/run/docker.sock || echo 'no host socket'; DOCKER_HOST=unix:///var/run/docker.sock DOCKER_TLS_VERIFY= docker version >/dev/null 2>&1 || echo 'no host engine'",
        ),
        // The engine's certificate is verified by its name, and it answers only a client with the job's certificate.
        run(ASK_ENGINE),
        run(`until [ -f /tmp/inspected ]; do sleep 0.2; done`, { noOutputTimeoutMs: 60_000 }),
      ],
      { docker: { primary: image({ image: ENGINE_IMAGE }), services: [] }, workingDirectory: '/tmp/project' },
    );

    // WHEN it runs on a builder that offers Docker in builds; while its last step waits, the
    // test looks at the engine's container from the builder host.
    let engine: Docker.ContainerInspectInfo | undefined;
    let primary: string | undefined;
    const inspected = (async () => {
      const filters = JSON.stringify({ label: [`${LABELS.job}=${job.jobId}`] });
      for (;;) {
        const started = sink.events.some((e) => e.index === 8 && e.status === 'started');
        if (started) {
          const containers = await docker.listContainers({ filters });
          const engineSummary = containers.find((c) => c.Image === ENGINE_IMAGE && c.Command.includes('gyre-engine'));
          primary = containers.find((c) => c.Image === ENGINE_IMAGE && !c.Command.includes('gyre-engine'))?.Id;
          if (engineSummary) engine = await docker.getContainer(engineSummary.Id).inspect();
          if (primary) await (await docker.getContainer(primary).exec({ Cmd: ['touch', '/tmp/inspected'] })).start({});
          return;
        }
        if (sink.events.some((e) => e.status === 'finished' && e.exitCode !== 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const result = await runJob(backend, job, sink, {
      builderName: BUILDER,
      room: { cpus: 2, memoryBytes: 2 * 1024 ** 3 },
      killGraceMs: 500,
      engineImage: ENGINE_IMAGE,
      jobTimeoutMs: 300_000,
    });
    await inspected;

    // THEN every step passed, with the engine's variables and a client certificate only the job's user reads
    expect(result).toEqual({ outcome: 'success' });
    expect(sink.text(1)).toContain('A Docker engine of this job');
    expect(sink.text(2)).toBe('tcp://remote-docker:2376 1 /tmp/docker-certs\nca.pem\ncert.pem\nkey.pem\n600\n');
    expect(sink.text(3)).toBe('mini:1\n');
    expect(sink.text(4)).toBe('served through remote-docker:8443\n');
    expect(sink.text(5)).not.toContain(secret);
    expect(sink.text(5)).toContain("not on the engine's host");
    expect(sink.text(6)).toMatch(/rootless/);
    expect(sink.text(6)).toContain('no host socket\nno host engine\n');
    expect(sink.text(7)).toBe('with the certificate: "ApiVersion"\nwithout: \nrefused without TLS\n');
    // AND the engine's container had no host mount and no extra capability: only its own volume
    expect(engine).toBeDefined();
    expect(engine!.Mounts.map((m) => [m.Type, m.Destination])).toEqual([
      ['volume', '/home/engine/.local/share/docker'],
    ]);
    expect(engine!.HostConfig.Privileged).toBe(false);
    expect(engine!.HostConfig.Binds ?? []).toEqual([]);
    // AND of the capabilities only what its entrypoint needs to drop to the engine's user, who runs the rest
    expect(engine!.HostConfig.CapDrop).toEqual(['ALL']);
    expect(engine!.HostConfig.CapAdd).toEqual(['SETUID', 'SETGID', 'CHOWN']);
    expect((engine!.HostConfig.Devices as { PathOnHost: string }[] | undefined)?.map((d) => d.PathOnHost)).toEqual([
      '/dev/net/tun',
    ]);
    // AND nothing of the job is left: its engine container and the engine's volume went with it
    const filters = JSON.stringify({ label: [`${LABELS.job}=${job.jobId}`] });
    const [containers, volumes] = await Promise.all([
      docker.listContainers({ all: true, filters }),
      docker.listVolumes({ filters }),
    ]);
    expect(containers).toEqual([]);
    expect(volumes.Volumes ?? []).toEqual([]);
  }, 400_000);

  it('runs a machine job in the machine image as circleci, with its engine: docker build, and compose up, exec and down', async () => {
    const sink = new RecordingSink();
    const job = makeJob(
      [
        {
          type: 'setup_remote_docker',
          name: "Start the machine's Docker engine",
          when: 'on_success',
          dockerLayerCaching: false,
        },
        run('id -un; stat -c %U $DOCKER_CERT_PATH/key.pem; docker compose version --short >/dev/null && echo compose'),
        run(String.raw`set -e
files="/usr/bin/dash /usr/bin/cat /usr/bin/sleep $(ldd /usr/bin/dash /usr/bin/cat /usr/bin/sleep | awk '/=>/{print $3} /ld-linux/{print $1}' | sort -u)"
tar -chf - $files 2>/dev/null | docker import - mini:1 >/dev/null
mkdir -p ~/app && cd ~/app
printf 'FROM mini:1\nRUN ["/usr/bin/dash", "-c", "echo built by compose > /built"]\n' > Dockerfile
printf 'services:\n  app:\n    build: .\n    command: ["/usr/bin/sleep", "300"]\n' > compose.yml
docker compose up -d >/dev/null 2>&1
docker compose exec -T app /usr/bin/cat /built
docker compose down -t 0 2>/dev/null
docker ps -a --format '{{.Names}}' | wc -l`),
      ],
      {
        docker: { primary: image({ image: 'ubuntu-2204:2024.01.1' }), services: [] },
        machine: true,
        workingDirectory: '~/project',
      },
    );
    const result = await runJob(backend, job, sink, {
      builderName: BUILDER,
      room: { cpus: 2, memoryBytes: 2 * 1024 ** 3 },
      killGraceMs: 500,
      engineImage: ENGINE_IMAGE,
      machineImage: 'gyre/machine:0.1.0',
      jobTimeoutMs: 300_000,
    });
    expect(result).toEqual({ outcome: 'success' });
    // The job's user, not root, owns the client key; Compose v2 is there.
    expect(sink.text(2)).toBe('circleci\ncircleci\ncompose\n');
    expect(sink.text(3)).toBe('built by compose\n0\n');
  }, 400_000);

  it("keeps the project's images from one job's engine to the next with docker_layer_caching, in a volume job cleanup leaves", async () => {
    const caches = new LayerCaches(BUILDER, 10 * 1024 ** 3);
    const cachedJob = (script: string) =>
      makeJob(
        [{ type: 'setup_remote_docker', name: 'Engine', when: 'on_success', dockerLayerCaching: true }, run(script)],
        { docker: { primary: image({ image: ENGINE_IMAGE }), services: [] }, workingDirectory: '/tmp/project' },
      );
    const runCached = async (script: string) => {
      const sink = new RecordingSink();
      const result = await runJob(backend, cachedJob(script), sink, {
        builderName: BUILDER,
        room: { cpus: 1, memoryBytes: 1024 ** 3 },
        killGraceMs: 500,
        engineImage: ENGINE_IMAGE,
        layerCaches: caches,
        jobTimeoutMs: 300_000,
      });
      return { result, sink };
    };
    const volume = `gyre-layer-cache-${BUILDER}-p1`;
    try {
      // A container with a restart policy would come back with the next engine on this data root.
      const first = await runCached(
        `${IMPORT_MINI}\ndocker run -d -i --restart always --name lingering mini:1 /usr/bin/cat >/dev/null`,
      );
      expect(first.result).toEqual({ outcome: 'success' });
      expect(first.sink.text(1)).toContain('the engine starts empty');
      expect((await docker.getVolume(volume).inspect()).Labels).toEqual({
        [LABELS.layerCache]: '1',
        [LABELS.builder]: BUILDER,
      });

      // A new engine, in a new container, on the same data root: the image is there.
      const second = await runCached(
        'docker image ls --format \'{{.Repository}}:{{.Tag}}\' mini; echo "containers: $(docker ps -aq | wc -l)"',
      );
      expect(second.result).toEqual({ outcome: 'success' });
      expect(second.sink.text(1)).toMatch(
        /starts from this project's layer cache on this builder \(\d[\d.]* [KMG]iB\)/,
      );
      expect(second.sink.text(2)).toBe('mini:1\ncontainers: 0\n');
    } finally {
      await docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined);
    }
  }, 400_000);

  it('ends the job infrastructure_failed, to be retried elsewhere, on a builder that offers no Docker in builds, saying which setting does', async () => {
    const sink = new RecordingSink();
    const job = makeJob([
      {
        type: 'setup_remote_docker',
        name: 'Setup a remote Docker engine',
        when: 'on_success',
        dockerLayerCaching: false,
      },
      run('echo never'),
    ]);
    const result = await runJob(backend, job, sink, {
      builderName: BUILDER,
      room: { cpus: 1, memoryBytes: 512 * 1024 ** 2 },
      killGraceMs: 500,
    });
    expect(result.outcome).toBe('infrastructure_failed');
    expect(result.message).toContain('GYRE_DOCKER_IN_BUILDS is off');
    expect(sink.text(1)).toContain('the builder is at fault, so the job is retried');
    expect(sink.text(2)).toBe('');
  }, 60_000);
});
