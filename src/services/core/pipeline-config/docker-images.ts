/** The `docker:` executor: a list of images, the first primary and the rest services. */
import { childPath, itemPath, type ErrorCollector } from './errors.js';
import type { DockerExecutor, DockerImage } from './model.js';
import {
  checkKeys,
  expectMap,
  readEnvironment,
  readNonEmptyString,
  readScalarText,
  readStringOrList,
} from './read-node.js';
import { getValue, type YMap, type YNode } from './yaml-node.js';

export const IMAGE_KEYS = ['image', 'name', 'environment', 'entrypoint', 'command', 'user', 'auth'];
export const IMAGE_AUTH_KEYS = ['username', 'password'];
/**
 * docker-compose keys people copy into CircleCI images, which CircleCI accepts and ignores: every
 * container of a job shares one network, so ports need no publishing, and the name to reach a
 * service by is `name`. Gyre ignores them too, with a warning saying so.
 */
export const IGNORED_IMAGE_KEYS: Readonly<Record<string, string>> = {
  ports: "services are reachable on every port from the job's containers without publishing them",
  expose: "services are reachable on every port from the job's containers without exposing them",
  container_name: 'use `name` to choose the host name other containers reach this one by',
  hostname: 'use `name` to choose the host name other containers reach this one by',
  links: "every container of the job is reachable by its `name` (or its image's short name)",
  depends_on: 'services start before the steps run; wait for a service in a run step if it needs time',
};

/** Reads a `docker:` list, or reports what is wrong with it. */
export function readDockerExecutor(node: YNode, path: string, errors: ErrorCollector): DockerExecutor | undefined {
  if (node.kind !== 'seq' || node.items.length === 0) {
    errors.add(
      node.pos,
      path,
      'expected a non-empty list of images, e.g. `docker: [{ image: cimg/node:22.0 }]`; the first is where steps run, the rest are services',
    );
    return undefined;
  }
  const images = node.items.map((item, i) => readImage(item, itemPath(path, i), errors));
  const [primary, ...services] = images;
  if (primary === undefined || images.some((image) => image === undefined)) return undefined;
  return { primary, services: services.filter((s) => s !== undefined) };
}

function readImage(node: YNode, path: string, errors: ErrorCollector): DockerImage | undefined {
  const map = expectMap(node, path, errors, 'an image map with `image`');
  if (!map) return undefined;
  const before = errors.count;
  checkKeys(map, path, [...IMAGE_KEYS, ...Object.keys(IGNORED_IMAGE_KEYS)], errors, 'a docker image');
  for (const entry of map.entries) {
    const why = Object.hasOwn(IGNORED_IMAGE_KEYS, entry.key) ? IGNORED_IMAGE_KEYS[entry.key] : undefined;
    if (why !== undefined)
      errors.warn(
        entry.keyPos,
        childPath(path, entry.key),
        `\`${entry.key}\` is ignored, as CircleCI ignores it: ${why}`,
      );
  }
  const imageNode = getValue(map, 'image');
  if (!imageNode) errors.add(map.pos, path, 'each docker image needs `image`, e.g. `image: postgres:16`');
  const image = imageNode && readNonEmptyString(imageNode, childPath(path, 'image'), errors);
  const result: DockerImage = {
    image: image ?? '',
    environment: optional(map, 'environment', path, errors, readEnvironment) ?? {},
    ...only('name', optional(map, 'name', path, errors, readNonEmptyString)),
    ...only('entrypoint', optional(map, 'entrypoint', path, errors, readStringOrList)),
    ...only('command', optional(map, 'command', path, errors, readStringOrList)),
    ...only('user', optional(map, 'user', path, errors, readScalarText)),
    ...only('auth', optional(map, 'auth', path, errors, readAuth)),
  };
  return errors.count === before ? result : undefined;
}

/**
 * `auth: { username, password }` for a private registry. The values usually name variables
 * (`$DOCKERHUB_PASSWORD`), set in the project or a context and filled in by the builder; a
 * password written out in the config is accepted, as CircleCI accepts it, with a warning.
 */
function readAuth(node: YNode, path: string, errors: ErrorCollector): DockerImage['auth'] {
  const map = expectMap(node, path, errors, 'a map with `username` and `password`');
  if (!map) return undefined;
  checkKeys(map, path, IMAGE_AUTH_KEYS, errors, 'an image `auth`');
  const [username, password] = IMAGE_AUTH_KEYS.map((key) => {
    const value = getValue(map, key);
    if (value === undefined)
      errors.add(map.pos, path, `\`auth\` needs \`${key}\`, e.g. \`${key}: $DOCKERHUB_${key.toUpperCase()}\``);
    return value && readNonEmptyString(value, childPath(path, key), errors);
  });
  if (username === undefined || password === undefined) return undefined;
  if (!/\$\{?[A-Za-z_]/.test(password))
    errors.warn(
      getValue(map, 'password')!.pos,
      childPath(path, 'password'),
      'the password is written in the config, where everyone who can read the repository sees it; set it as a project or context variable and write `password: $NAME`',
    );
  return { username, password };
}

function optional<T>(
  map: YMap,
  key: string,
  path: string,
  errors: ErrorCollector,
  read: (n: YNode, p: string, e: ErrorCollector) => T | undefined,
): T | undefined {
  const node = getValue(map, key);
  return node === undefined ? undefined : read(node, childPath(path, key), errors);
}

function only<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
