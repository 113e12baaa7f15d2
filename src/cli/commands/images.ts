/**
 * `gyre images`: build Gyre's images (optionally with no registry at all), and carry them to
 * other Docker hosts as a bundle file.
 */
import { LABELS } from '../../shared/labels.js';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Settings } from '../../config/index.js';
import {
  createDockerClient,
  describeDockerHost,
  resolveDockerHost,
  type DockerClient,
  type DockerHost,
} from '../../docker/index.js';
import {
  INPUTS_LABEL,
  loadImages,
  planImageBuild,
  runtimeImageRefs,
  saveImages,
  type ImageResult,
} from '../../orchestrator/images/index.js';
import { InvalidInputError } from '../../shared/errors.js';
import { createOutput, type Output } from '../output.js';
import { loadCommandSettings } from '../settings-source.js';
import { runTasks } from '../task-runner.js';
import { warnAboutMissingCa } from '../orchestrator-options.js';

interface HostOptions {
  readonly host?: string;
  readonly json?: boolean;
}

interface SettingsHostOptions extends HostOptions {
  readonly env?: string;
}

interface BuildOptions extends SettingsHostOptions {
  readonly offline?: boolean;
  readonly mirror?: string;
  readonly rebuild?: boolean;
}

const HOST_HELP =
  'Docker host: unix:///path/to/docker.sock or tcp://address:port (default: DOCKER_HOST, then the local socket)';
const ENV_HELP = 'settings file (default ./.env); GYRE_* environment variables override it';

/** The host named by --host or DOCKER_HOST; parsed before anything else so a typo fails first. */
function hostOf(options: HostOptions): DockerHost {
  return resolveDockerHost(options.host, process.env);
}

/** Connects to a host and checks that it answers. */
async function connect(host: DockerHost): Promise<DockerClient> {
  const docker = createDockerClient(host);
  await docker.ping();
  return docker;
}

/** Image builds run where the operator is, so GYRE_* variables of the shell count, as for `serve`. */
function loadImageSettings(options: SettingsHostOptions, output: Output): Settings {
  const settings = loadCommandSettings(options, 'generate', output, true);
  warnAboutMissingCa(settings, output);
  return settings;
}

function checkMirror(mirror: string | undefined): void {
  if (mirror === undefined || /^https?:\/\/[^/\s]+/.test(mirror)) return;
  throw new InvalidInputError('--mirror', [
    {
      input: `--mirror=${mirror}`,
      message: 'is not an http(s) URL of a Debian mirror',
      hint: 'for example --mirror http://deb.debian.org/debian',
    },
  ]);
}

/** `gyre images build`. */
export async function buildImagesCommand(options: BuildOptions): Promise<ImageResult[]> {
  const output = createOutput(options.json === true);
  checkMirror(options.mirror);
  const host = hostOf(options);
  const settings = loadImageSettings(options, output);
  const docker = await connect(host);
  const steps = planImageBuild(settings, {
    docker,
    offline: options.offline === true,
    mirror: options.mirror,
    rebuild: options.rebuild === true,
  });
  output.info(
    `Building Gyre's images on ${describeDockerHost(docker.host)}${options.offline ? ' without a registry' : ''}`,
  );
  const started = Date.now();
  const results = await runTasks(steps, output, (r) => `${r.ref}: ${r.outcome} (${r.reason}) ${r.id.slice(0, 19)}`);
  if (output.jsonMode) output.json({ host: describeDockerHost(docker.host), images: results });
  output.info(`Done in ${Math.round((Date.now() - started) / 1000)}s.`);
  return results;
}

async function saveCommand(file: string, options: SettingsHostOptions): Promise<void> {
  const output = createOutput(options.json === true);
  const host = hostOf(options);
  const settings = loadImageSettings(options, output);
  const docker = await connect(host);
  const path = resolve(file);
  const images = await saveImages(docker, path, runtimeImageRefs(settings));
  if (output.jsonMode) output.json({ file: path, images: images.map((i) => ({ tags: i.tags, id: i.id })) });
  for (const image of images) output.info(`saved ${image.tags.join(', ')} ${image.id}`);
  output.info(`Wrote ${path}. Load it on another host with: gyre images load ${file} --host HOST`);
}

async function loadCommand(file: string, options: HostOptions): Promise<void> {
  const output = createOutput(options.json === true);
  const docker = await connect(hostOf(options));
  const loaded = await loadImages(docker, resolve(file));
  const images = await Promise.all(loaded.map(async (ref) => ({ ref, id: (await docker.inspectImage(ref))?.id })));
  if (output.jsonMode) output.json({ host: describeDockerHost(docker.host), images });
  for (const image of images) output.info(`loaded ${image.ref} ${image.id ?? ''}`);
}

async function listCommand(options: HostOptions): Promise<void> {
  const output = createOutput(options.json === true);
  const docker = await connect(hostOf(options));
  const images = await docker.listImages(LABELS.image);
  const rows = images.map((i) => ({
    tags: i.tags,
    id: i.id,
    kind: i.labels[LABELS.image],
    version: i.labels[LABELS.version],
    inputs: i.labels[INPUTS_LABEL],
    createdAt: i.createdAt,
    sizeBytes: i.sizeBytes,
  }));
  if (output.jsonMode) return output.json(rows);
  for (const row of rows)
    output.info(
      `${(row.tags.join(', ') || '<untagged>').padEnd(40)} ${String(row.kind).padEnd(12)} ${row.id.slice(7, 19)}  ${Math.round(row.sizeBytes / 1e6)} MB`,
    );
}

/** Registers `gyre images` and its subcommands. */
export function registerImagesCommand(program: Command): void {
  const images = program
    .command('images')
    .description("Build Gyre's images, with or without a registry, and move them between Docker hosts");
  images
    .command('build')
    .description('Build the database and application images; rebuilds only images whose inputs changed')
    .option('--env <file>', ENV_HELP)
    .option('--host <url>', HOST_HELP)
    .option(
      '--offline',
      'first build the base images (GYRE_BASE_DEBIAN_IMAGE, GYRE_BASE_NODE_IMAGE) from a Debian mirror with debootstrap and Node.js from the npm registry, when missing; needs root and debootstrap',
    )
    .option('--mirror <url>', 'Debian mirror for debootstrap and apt (default GYRE_DEBIAN_MIRROR)')
    .option('--rebuild', 'build every image again from scratch, bases included with --offline')
    .option('--json', 'print the resulting images as JSON')
    .addHelpText(
      'after',
      `
Run it from a Gyre checkout after \`npm run build\`, or from the installed package.

Examples:
  $ gyre images build --offline                   air-gapped: no registry needed
  $ gyre images build --offline --mirror http://mirror.internal/debian
  $ gyre images build --host tcp://10.0.0.5:2375  bases must exist or be pullable there
  $ GYRE_EXTRA_CA_CERTS_FILE=/etc/ssl/certs/ca-certificates.crt gyre images build --offline`,
    )
    .action(async (options: BuildOptions) => {
      await buildImagesCommand(options);
    });
  images
    .command('save')
    .argument('<file>', 'bundle to write; a name ending in .gz is compressed')
    .description('Write the application and database images into one bundle file (a docker save archive)')
    .option('--env <file>', ENV_HELP)
    .option('--host <url>', HOST_HELP)
    .option('--json', 'print the saved images as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gyre images save gyre-images.tar\n  $ gyre images save gyre-images.tar.gz --host unix:///run/docker.sock',
    )
    .action(saveCommand);
  images
    .command('load')
    .argument('<file>', 'bundle written by `gyre images save`')
    .description('Load an image bundle into a Docker host; image ids stay the same')
    .option('--host <url>', HOST_HELP)
    .option('--json', 'print the loaded images as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ gyre images load gyre-images.tar --host tcp://10.0.0.7:2375\n  $ DOCKER_HOST=unix:///run/docker-b.sock gyre images load gyre-images.tar.gz',
    )
    .action(loadCommand);
  images
    .command('list')
    .description('List the Gyre images on a Docker host')
    .option('--host <url>', HOST_HELP)
    .option('--json', 'print the images as JSON')
    .action(listCommand);
}
