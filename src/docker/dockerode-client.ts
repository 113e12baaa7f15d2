/**
 * The one DockerClient implementation, on dockerode. Every method wraps its failures with
 * `toDockerError` so callers see a GyreError that names the host and what was being done.
 */
import { DockerodeContainers, type ContainerClient } from './container-client.js';
import { Readable } from 'node:stream';
import Docker from 'dockerode';
import { GyreError, messageOf } from '../shared/errors.js';
import { connectionOptions } from './connection.js';
import { engineInfoOf } from './engine-info.js';
import type { Environment } from './docker-config.js';
import { toDockerError, statusCodeOf } from './errors.js';
import { describeDockerHost, type DockerHost } from './host.js';
import { messageError, messageText, readJsonMessages, type JsonMessage } from './json-messages.js';
import type {
  BuildRequest,
  DockerClient,
  EngineInfo,
  EngineVersion,
  ImageDetails,
  ImportRequest,
  ProgressListener,
} from './types.js';

/** dockerode implements GET /images/get for several names, but its typings omit it. */
interface SaveCapable {
  getImages(options: { names: string[] }): Promise<NodeJS.ReadableStream>;
}

/** dockerode's ping takes an abort signal, but its typings omit it. */
interface AbortablePing {
  ping(options: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * Creates the client for one Docker host. Reads TLS files and ssh keys now, so a missing file
 * fails here; nothing connects until the first call.
 * @param env where ssh finds SSH_AUTH_SOCK and the home folder @default process.env
 */
export function createDockerClient(host: DockerHost, env: Environment = process.env): DockerClient {
  const options = connectionOptions(host, env);
  try {
    return new DockerodeClient(host, new Docker(options));
  } catch (error) {
    // docker-modem reads DOCKER_HOST and DOCKER_CERT_PATH on its own and fails on files that are not there.
    const detail = messageOf(error);
    throw new GyreError(
      `Cannot set up the client for Docker host ${describeDockerHost(host)}: ${detail}. Check DOCKER_HOST and DOCKER_CERT_PATH, or unset them.`,
      undefined,
      { cause: error },
    );
  }
}

class DockerodeClient implements DockerClient {
  readonly containers: ContainerClient;

  constructor(
    readonly host: DockerHost,
    private readonly docker: Docker,
  ) {
    this.containers = new DockerodeContainers(host, docker);
  }

  async ping(signal?: AbortSignal): Promise<void> {
    await this.call('connecting', () => (this.docker as unknown as AbortablePing).ping({ abortSignal: signal }));
  }

  async version(): Promise<EngineVersion> {
    const v = await this.call('reading the engine version', () => this.docker.version());
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
  }

  async info(): Promise<EngineInfo> {
    return engineInfoOf(await this.call('reading the engine info', () => this.docker.info()));
  }

  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect();
      return {
        id: info.Id,
        tags: info.RepoTags ?? [],
        labels: info.Config?.Labels ?? {},
        createdAt: info.Created,
        sizeBytes: info.Size,
      };
    } catch (error) {
      // A missing image is an answer, not a failure: callers decide whether to build it.
      if (statusCodeOf(error) === 404) return undefined;
      throw toDockerError(error, this.host, `inspecting image ${ref}`);
    }
  }

  async listImages(label: string): Promise<ImageDetails[]> {
    const images = await this.call(`listing images labelled ${label}`, () =>
      this.docker.listImages({ filters: JSON.stringify({ label: [label] }) }),
    );
    return images.map((image) => ({
      id: image.Id,
      tags: image.RepoTags?.filter((tag) => tag !== '<none>:<none>') ?? [],
      labels: image.Labels ?? {},
      createdAt: new Date(image.Created * 1000).toISOString(),
      sizeBytes: image.Size,
    }));
  }

  async pullImage(ref: string, onProgress: ProgressListener): Promise<void> {
    const action = `pulling ${ref}`;
    const stream = await this.call(action, () => this.docker.pull(ref));
    await this.follow(stream, action, onProgress);
  }

  async buildImage(request: BuildRequest, onProgress: ProgressListener): Promise<string> {
    const action = `building ${request.tag}`;
    const stream = await this.call(action, () =>
      this.docker.buildImage(
        { context: request.contextDir, src: [...request.entries] },
        {
          t: request.tag,
          buildargs: { ...request.buildArgs },
          labels: { ...request.labels },
          nocache: request.noCache === true,
          rm: true,
          forcerm: true,
        },
      ),
    );
    const messages = await this.follow(stream, action, onProgress);
    const id = messages.map((m) => m.aux?.ID).find((value) => value !== undefined);
    return id ?? (await this.requireImage(request.tag, action)).id;
  }

  async importImage(request: ImportRequest, onProgress: ProgressListener): Promise<string> {
    const action = `importing ${request.tag}`;
    const [repo, tag] = splitTag(request.tag);
    const stream = await this.call(action, () =>
      this.docker.importImage(request.rootfs, { repo, tag, changes: [...request.changes] }),
    );
    await this.follow(stream, action, onProgress);
    return (await this.requireImage(request.tag, action)).id;
  }

  async removeUntaggedImage(id: string): Promise<boolean> {
    const image = await this.inspectImage(id);
    if (!image || image.tags.length > 0) return false;
    try {
      await this.docker.getImage(id).remove({ noprune: false });
      return true;
    } catch (error) {
      const status = statusCodeOf(error);
      if (status === 404 || status === 409) return false;
      throw toDockerError(error, this.host, `removing the replaced image ${id}`);
    }
  }

  async saveImages(refs: readonly string[]): Promise<Readable> {
    const saver = this.docker as unknown as SaveCapable;
    const stream = await this.call(`saving ${refs.join(', ')}`, () => saver.getImages({ names: [...refs] }));
    return toReadable(stream);
  }

  async loadImages(bundle: Readable, onProgress: ProgressListener): Promise<string[]> {
    const action = 'loading an image bundle';
    const stream = await this.call(action, () => this.docker.loadImage(bundle, { quiet: true }));
    const messages = await this.follow(stream, action, onProgress);
    return messages
      .map((m) => /^Loaded image(?: ID)?: (.+)$/.exec(messageText(m) ?? '')?.[1])
      .filter((ref): ref is string => ref !== undefined);
  }

  /** Runs one engine call and wraps its failure. */
  private async call<T>(action: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toDockerError(error, this.host, action);
    }
  }

  /** Reads a streamed response to its end and fails with the first error the engine reported in it. */
  private async follow(
    stream: NodeJS.ReadableStream,
    action: string,
    onProgress: ProgressListener,
  ): Promise<JsonMessage[]> {
    const messages = await this.call(action, () =>
      readJsonMessages(toReadable(stream), (message) => {
        const text = messageText(message);
        if (text !== undefined) text.split('\n').forEach(onProgress);
      }),
    );
    const failure = messages.map(messageError).find((error) => error !== undefined);
    if (failure !== undefined)
      throw new GyreError(`Docker host ${describeDockerHost(this.host)}: ${action} failed: ${failure.trim()}`);
    return messages;
  }

  private async requireImage(ref: string, action: string): Promise<ImageDetails> {
    const image = await this.inspectImage(ref);
    if (!image)
      throw new GyreError(
        `Docker host ${describeDockerHost(this.host)}: ${action} finished, but the engine has no image ${ref}`,
      );
    return image;
  }
}

/** `repo:tag` → [repo, tag]; a colon inside a registry's host:port is not a tag separator. */
export function splitTag(ref: string): [string, string] {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, 'latest'];
}

function toReadable(stream: NodeJS.ReadableStream): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream);
}
