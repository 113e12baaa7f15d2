/**
 * The small interfaces every Docker call goes through. Callers depend on these; only entry
 * points create the one implementation (`createDockerClient`), so tests and every host kind
 * (unix, tcp with or without TLS, ssh, contexts) plug in without touching the callers.
 */
import type { Readable } from 'node:stream';
import type { ContainerClient } from './container-client.js';
import type { DockerHost } from './host.js';

/** What the engine says about itself. */
export interface EngineVersion {
  readonly version: string;
  readonly apiVersion: string;
  readonly os: string;
  readonly arch: string;
}

/** What `docker info` says about the machine behind the engine. */
export interface EngineInfo {
  readonly cpus: number;
  readonly memoryBytes: number;
  /** The engine's host name. */
  readonly name: string;
  readonly serverVersion: string;
  /** The host's clock when it answered (RFC 3339), where the engine says. */
  readonly systemTime?: string;
  /**
   * Whether a container may be given another container's cgroup as its parent, so that one
   * cgroup's limits bound several containers: cgroup v1 with the cgroupfs driver. Version 2 forbids
   * processes in a cgroup that has children, and the systemd driver takes only slices.
   */
  readonly nestedCgroups: boolean;
}

/** An image as Gyre needs to see it. */
export interface ImageDetails {
  /** Content-addressed id, `sha256:...`; equal on every engine that holds the same image. */
  readonly id: string;
  readonly tags: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly sizeBytes: number;
}

/** One line of progress from a long engine operation (build, import, load). */
export type ProgressListener = (line: string) => void;

/** A build from a directory that holds exactly the build context, Dockerfile included. */
export interface BuildRequest {
  readonly contextDir: string;
  /** The top-level entries of `contextDir` to send; the engine sees nothing else. */
  readonly entries: readonly string[];
  /** Name:tag of the result. */
  readonly tag: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** Ignore the engine's layer cache. @default false */
  readonly noCache?: boolean;
}

/** A root filesystem tarball that becomes an image. */
export interface ImportRequest {
  readonly rootfs: Readable;
  readonly tag: string;
  /** Dockerfile instructions applied to the image, such as `LABEL a=b` or `CMD ["bash"]`. */
  readonly changes: readonly string[];
}

/** Engine-level calls. */
export interface EngineClient {
  readonly host: DockerHost;
  /**
   * Resolves when the engine answers; throws UnavailableError naming the host otherwise.
   * @param signal aborts a ping that waits too long
   */
  ping(signal?: AbortSignal): Promise<void>;
  version(): Promise<EngineVersion>;
  info(): Promise<EngineInfo>;
}

/** Image calls. Every method throws a GyreError that names the host and the image. */
export interface ImageClient {
  /** The image, or undefined when the host does not have it. */
  inspectImage(ref: string): Promise<ImageDetails | undefined>;
  /** Images that carry a label, such as `io.gyre.image`. */
  listImages(label: string): Promise<ImageDetails[]>;
  /** Pulls an image from its registry. */
  pullImage(ref: string, onProgress: ProgressListener): Promise<void>;
  /** Builds and tags an image; resolves to its id. Fails with the build's own error message. */
  buildImage(request: BuildRequest, onProgress: ProgressListener): Promise<string>;
  /** Imports a rootfs tarball; resolves to the new image's id. */
  importImage(request: ImportRequest, onProgress: ProgressListener): Promise<string>;
  /**
   * Removes an image that lost its tags to a newer build. An image still in use (409) or
   * already gone (404) is left alone: resolves to false.
   */
  removeUntaggedImage(id: string): Promise<boolean>;
  /** A `docker save` tar stream of the images, with their tags. */
  saveImages(refs: readonly string[]): Promise<Readable>;
  /** Loads a `docker save` stream (plain or gzip); resolves to what the engine reports as loaded. */
  loadImages(bundle: Readable, onProgress: ProgressListener): Promise<string[]>;
}

/** Everything the orchestrator needs from one Docker host. */
export interface DockerClient extends EngineClient, ImageClient {
  readonly containers: ContainerClient;
}
