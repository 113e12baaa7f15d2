/**
 * The only state a builder keeps: its id and credential, in the builder stack's volume, so a
 * restarted agent is the same builder. Written atomically and readable by root only.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GyreError } from '../../shared/errors.js';
import type { BuilderIdentity } from './protocol-client.js';

const FILE_NAME = 'builder-identity.json';

interface StoredIdentity extends BuilderIdentity {
  /** The services box this identity belongs to; another box's identity is not sent to it. */
  readonly servicesUrl: string;
  readonly name: string;
}

export class IdentityFile {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, FILE_NAME);
  }

  /** The identity for this services box and name, if one was saved. */
  async load(servicesUrl: string, name: string): Promise<BuilderIdentity | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new GyreError(`cannot read the builder identity ${this.path}: ${(error as Error).message}`, undefined, {
        cause: error,
      });
    }
    const stored = parseStored(text);
    if (!stored || stored.servicesUrl !== servicesUrl || stored.name !== name) return undefined;
    return { builderId: stored.builderId, credential: stored.credential };
  }

  async save(servicesUrl: string, name: string, identity: BuilderIdentity): Promise<void> {
    const dir = join(this.path, '..');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${process.pid}.tmp`;
    const stored: StoredIdentity = {
      servicesUrl,
      name,
      builderId: identity.builderId,
      credential: identity.credential,
    };
    await writeFile(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, this.path);
  }
}

/** A damaged file is treated as no identity: the builder joins again as new (or is refused by name). */
function parseStored(text: string): StoredIdentity | undefined {
  try {
    const value = JSON.parse(text) as Partial<StoredIdentity>;
    if (
      typeof value.builderId === 'number' &&
      typeof value.credential === 'string' &&
      typeof value.servicesUrl === 'string' &&
      typeof value.name === 'string'
    )
      return value as StoredIdentity;
  } catch {
    // fall through: unreadable JSON
  }
  return undefined;
}
