/**
 * Debian's OpenSSH client (`ssh`, `scp`, `sftp`) as the tests of SSH into builds run it: with a key
 * of the fixtures written where OpenSSH accepts it (mode 0600), in batch mode, trusting any host
 * key, and never blocking this process, which may be serving the other end.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshKeyText } from './ssh-key-fixtures.js';

export type ClientKey = 'ed25519.key' | 'rsa-pem.key' | 'ecdsa.key';

export interface ProgramRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs one of OpenSSH's programs without blocking this process. */
export function runProgram(program: string, args: readonly string[]): Promise<ProgramRun> {
  const child = spawn(program, args);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

export class OpenSshClient {
  readonly #keys = mkdtempSync(join(tmpdir(), 'gyre-ssh-keys-'));

  constructor(private readonly port: () => number) {
    for (const key of ['ed25519.key', 'rsa-pem.key', 'ecdsa.key'] as const) {
      writeFileSync(join(this.#keys, key), sshKeyText(key));
      chmodSync(join(this.#keys, key), 0o600);
    }
  }

  /** The options every program takes; scp and sftp name the port with -P. */
  options(key: ClientKey, portFlag: '-p' | '-P' = '-p'): string[] {
    return [
      ...['-i', join(this.#keys, key), portFlag, String(this.port())],
      ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null'],
      ...['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR'],
    ];
  }

  /** `ssh` as `user`@127.0.0.1, running `command`. */
  ssh(key: ClientKey, user: string, command: string, extra: readonly string[] = []): Promise<ProgramRun> {
    return runProgram('ssh', [...this.options(key), ...extra, `${user}@127.0.0.1`, command]);
  }

  remove(): void {
    rmSync(this.#keys, { recursive: true, force: true });
  }
}
