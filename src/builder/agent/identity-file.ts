/**
 * The only state a builder keeps: its id and credential, in the builder stack's volume, so a
 * restarted agent is the same builder. Written atomically and readable by root only.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GyreError, messageOf } from '../../shared/errors.js';
import type { BuilderIdentity } from './protocol-client.js';

const FILE_NAME = 'builder-identity.json';

const storedIdentitySchema = z.object({
  builderId: z.number().int().positive(),
  credential: z.string(),
  /** The services box this identity belongs to; another box's identity is not sent to it. */
  servicesUrl: z.string(),
  name: z.string(),
});
type StoredIdentity = z.infer<typeof storedIdentitySchema>;

export class IdentityFile {
  readonly path: string;

  /** @param onDamaged told why a damaged file is ignored: the builder then joins as new (or is refused by name) */
  constructor(
    stateDir: string,
    private readonly onDamaged: (reason: string) => void,
  ) {
    this.path = join(stateDir, FILE_NAME);
  }

  /**
   * The identity for this services box and name, if one was saved: for its address, or for the
   * address an operator moved the builder from (`movedFrom`: the same install, restored elsewhere).
   */
  async load(
    servicesUrl: string,
    name: string,
    movedFrom?: string,
  ): Promise<(BuilderIdentity & { readonly servicesUrl: string }) | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new GyreError(`cannot read the builder identity ${this.path}: ${messageOf(error)}`, undefined, {
        cause: error,
      });
    }
    const stored = this.parse(text);
    if (!stored || stored.name !== name) return undefined;
    if (stored.servicesUrl !== servicesUrl && stored.servicesUrl !== movedFrom) return undefined;
    return { builderId: stored.builderId, credential: stored.credential, servicesUrl: stored.servicesUrl };
  }

  private parse(text: string): StoredIdentity | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      this.onDamaged(`${this.path} is not JSON (${messageOf(error)})`);
      return undefined;
    }
    const stored = storedIdentitySchema.safeParse(value);
    if (!stored.success)
      this.onDamaged(`${this.path} does not hold an identity (${stored.error.issues[0]?.message ?? 'invalid'})`);
    return stored.success ? stored.data : undefined;
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
