/**
 * Second opinion on a rendered Compose file from Compose v2 itself (`docker compose config -q`),
 * which catches what the JSON schema cannot: interpolation, missing files, engine-specific rules.
 */
import { dirname } from 'node:path';
import { execCompose } from 'docker-compose';
import { InvalidInputError } from '../shared/errors.js';

export interface Warner {
  warn(line: string): void;
}

/** Runs `docker compose config -q` on a file; warns and returns when Compose v2 is not installed. */
export async function checkComposeFile(file: string, output: Warner): Promise<void> {
  try {
    await execCompose('config', ['-q'], { cwd: dirname(file), config: file, log: false });
  } catch (error) {
    const result = error as { exitCode?: number | null; err?: string; code?: string };
    if (result.code === 'ENOENT') {
      output.warn(`skipped \`docker compose config\` for ${file}: the docker CLI was not found`);
      return;
    }
    const message = (result.err ?? String(error)).trim();
    if (/is not a docker command|unknown command/i.test(message)) {
      output.warn(`skipped \`docker compose config\` for ${file}: Compose v2 is not installed`);
      return;
    }
    throw new InvalidInputError(file, [
      {
        input: file,
        message: `docker compose config rejected it: ${message}`,
        hint: 'check the settings it was rendered from; run `gyre settings check`',
      },
    ]);
  }
}
