/**
 * TLS for tcp:// hosts. Files are found and checked when the host is resolved, so a wrong path
 * fails before any connection; their contents are read only when the client is created.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GyreError, type InputProblem, InvalidInputError, messageOf } from '../shared/errors.js';
import type { DockerContextEndpoint, Environment } from './docker-config.js';
import type { TlsFiles } from './host.js';

/** TLS material given on the command line, for a tcp:// host. */
export interface DockerHostOptions {
  /** `--tls-cert`: PEM client certificate; needs `tlsKey`. */
  readonly tlsCert?: string;
  /** `--tls-key`: PEM private key of `tlsCert`. */
  readonly tlsKey?: string;
  /** `--tls-ca`: PEM bundle the engine's certificate must chain to. @default the system's CAs */
  readonly tlsCa?: string;
}

/** TLS material in the form Node's `tls` takes it. */
export interface TlsMaterial {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

const FLAGS = { tlsCa: '--tls-ca', tlsCert: '--tls-cert', tlsKey: '--tls-key' } as const;

/** True when any TLS flag was given. */
export function hasTlsFlags(options: DockerHostOptions): boolean {
  return options.tlsCa !== undefined || options.tlsCert !== undefined || options.tlsKey !== undefined;
}

/** TLS files from `--tls-ca`, `--tls-cert` and `--tls-key`; every file must exist. */
export function tlsFilesFromFlags(options: DockerHostOptions): TlsFiles {
  const problems: InputProblem[] = [];
  for (const [option, flag] of Object.entries(FLAGS) as [keyof DockerHostOptions, string][]) {
    const file = options[option];
    if (file !== undefined) problems.push(...fileProblems(`${flag}=${file}`, file));
  }
  problems.push(...pairProblems(options.tlsCert, options.tlsKey, FLAGS.tlsCert, FLAGS.tlsKey));
  if (problems.length > 0) throw new InvalidInputError('TLS flags', problems);
  return { caFile: options.tlsCa, certFile: options.tlsCert, keyFile: options.tlsKey, verify: true };
}

/**
 * TLS files the way the Docker CLI finds them under DOCKER_TLS_VERIFY: ca.pem, cert.pem and
 * key.pem in DOCKER_CERT_PATH, else in the Docker config folder; those that exist are used.
 */
export function tlsFilesFromCertPath(env: Environment, configDir: string): TlsFiles {
  const certPath = env['DOCKER_CERT_PATH'] || undefined;
  const dir = certPath ?? configDir;
  const input = certPath === undefined ? `DOCKER_TLS_VERIFY (files in ${dir})` : `DOCKER_CERT_PATH=${dir}`;
  const hint =
    'point DOCKER_CERT_PATH at the folder that holds ca.pem, cert.pem and key.pem, or pass --tls-ca, --tls-cert and --tls-key';
  if (!isDirectory(dir)) throw new InvalidInputError('DOCKER_CERT_PATH', [{ input, message: 'is not a folder', hint }]);
  const [caFile, certFile, keyFile] = ['ca.pem', 'cert.pem', 'key.pem'].map((name) =>
    isFile(join(dir, name)) ? join(dir, name) : undefined,
  );
  if (caFile === undefined && certFile === undefined && keyFile === undefined) {
    throw new InvalidInputError('DOCKER_CERT_PATH', [
      { input, message: 'holds none of ca.pem, cert.pem and key.pem', hint },
    ]);
  }
  const problems = pairProblems(certFile, keyFile, join(dir, 'cert.pem'), join(dir, 'key.pem'));
  if (problems.length > 0) throw new InvalidInputError('DOCKER_CERT_PATH', problems);
  return { caFile, certFile, keyFile, verify: true };
}

/** A context's TLS: its files, or none at all when it has neither files nor SkipTLSVerify. */
export function tlsFilesOfContext(context: DockerContextEndpoint): TlsFiles | undefined {
  const { caFile, certFile, keyFile, skipTlsVerify } = context;
  if (caFile === undefined && certFile === undefined && keyFile === undefined && !skipTlsVerify) return undefined;
  const problems = pairProblems(
    certFile,
    keyFile,
    `context ${context.name} cert.pem`,
    `context ${context.name} key.pem`,
  );
  if (problems.length > 0) throw new InvalidInputError(`Docker context ${context.name}`, problems);
  return { caFile, certFile, keyFile, verify: !skipTlsVerify };
}

/** Reads the files of a resolved host; a file that vanished since is named in the error. */
export function readTlsMaterial(tls: TlsFiles): TlsMaterial {
  const read = (file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (error) {
      throw new GyreError(`Cannot read the TLS file ${file}: ${messageOf(error)}`, undefined, { cause: error });
    }
  };
  return { ca: read(tls.caFile), cert: read(tls.certFile), key: read(tls.keyFile) };
}

function fileProblems(input: string, file: string): InputProblem[] {
  if (!isFile(file)) return [{ input, message: 'is not a file', hint: 'give the path of an existing PEM file' }];
  try {
    accessSync(file, constants.R_OK);
    return [];
  } catch (error) {
    return [
      {
        input,
        message: `cannot be read (${messageOf(error)})`,
        hint: 'make it readable by this user',
      },
    ];
  }
}

/** A client certificate is useless without its key, and the other way round. */
function pairProblems(
  cert: string | undefined,
  key: string | undefined,
  certName: string,
  keyName: string,
): InputProblem[] {
  if (cert !== undefined && key === undefined)
    return [
      {
        input: keyName,
        message: `is missing, but ${certName} needs its private key`,
        hint: `give both ${certName} and ${keyName}, or neither`,
      },
    ];
  if (key !== undefined && cert === undefined)
    return [
      {
        input: certName,
        message: `is missing, but ${keyName} needs its certificate`,
        hint: `give both ${certName} and ${keyName}, or neither`,
      },
    ];
  return [];
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() === true;
}

function isDirectory(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}
