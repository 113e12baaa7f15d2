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

const IMAGE_KEYS = ['image', 'name', 'environment', 'entrypoint', 'command', 'user'];

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
  checkKeys(map, path, IMAGE_KEYS, errors, 'a docker image');
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
  };
  return errors.count === before ? result : undefined;
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
