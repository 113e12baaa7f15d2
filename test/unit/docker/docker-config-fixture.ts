import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A context as `docker context create` stores it. */
export interface ContextFixture {
  readonly name: string;
  readonly host?: string;
  readonly skipTlsVerify?: boolean;
  /** TLS files the context holds. */
  readonly tls?: readonly ('ca.pem' | 'cert.pem' | 'key.pem')[];
}

/** A throwaway folder with a Docker config folder (`docker/`) and anything else a test writes. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'gyre-docker-'));

  /** A Docker config folder laid out as the Docker CLI lays it out, with `currentContext` when given. */
  dockerConfig(contexts: readonly ContextFixture[], currentContext?: string, relative = 'docker'): string {
    const dir = join(this.path, relative);
    mkdirSync(dir, { recursive: true });
    if (currentContext !== undefined)
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ auths: {}, currentContext }));
    for (const context of contexts) {
      const id = createHash('sha256').update(context.name).digest('hex');
      const meta = {
        Name: context.name,
        Metadata: {},
        Endpoints: {
          docker: {
            ...(context.host !== undefined && { Host: context.host }),
            SkipTLSVerify: context.skipTlsVerify ?? false,
          },
        },
      };
      this.write(`${relative}/contexts/meta/${id}/meta.json`, JSON.stringify(meta));
      for (const file of context.tls ?? [])
        this.write(`${relative}/contexts/tls/${id}/docker/${file}`, `${file} of ${context.name}\n`);
    }
    return dir;
  }

  /** Writes a file below the folder and returns its path. */
  write(relative: string, content: string | Buffer): string {
    const file = join(this.path, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, content);
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** The folder where the context's TLS files live. */
export function contextTlsDir(configDir: string, name: string): string {
  return join(configDir, 'contexts', 'tls', createHash('sha256').update(name).digest('hex'), 'docker');
}
