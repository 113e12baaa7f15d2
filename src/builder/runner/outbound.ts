/**
 * The builder's way out, given to its jobs: the proxy settings and the extra certificate
 * authorities (a TLS-inspecting proxy's, an internal CA) the agent itself uses. Jobs get the
 * proxy in both spellings tools read, with the job's own containers in NO_PROXY, and the extra CA
 * where their tools look: appended to the image's own bundle, in a bundle of their own at
 * /gyre/ca-bundle.pem that the usual variables name, and alone for Node (which adds it to its own).
 */
import { pack } from 'tar-stream';
import type { JobBackend } from '../../docker/index.js';
import { eachEntry, nodeStream } from './data-steps/archives.js';

export interface Outbound {
  readonly proxy: { readonly http?: string; readonly https?: string; readonly noProxy?: string };
  /** PEM certificates to trust besides the image's own. */
  readonly extraCa?: string;
}

/** The job's whole bundle: the image's, then the extra CA. */
export const CA_BUNDLE_PATH = '/gyre/ca-bundle.pem';
/** The extra CA alone, for NODE_EXTRA_CA_CERTS (Node adds it to its own list instead of replacing it). */
export const EXTRA_CA_PATH = '/gyre/extra-ca.pem';

/**
 * Where images keep their system bundle (Debian, Ubuntu and Alpine; Fedora and RHEL), which
 * curl, wget, git and OpenSSL read when no variable says otherwise.
 */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'] as const;

/** Hosts no job should reach through the proxy: itself. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '::1'];

/**
 * The proxy variables, upper and lower case, as `NAME=value` entries for any container of a job;
 * `jobHosts` are the names its containers reach each other by, kept off the proxy.
 */
export function proxyEnv(outbound: Outbound | undefined, jobHosts: readonly string[]): string[] {
  const env: string[] = [];
  const { http, https, noProxy } = outbound?.proxy ?? {};
  const both = (name: string, value: string) => env.push(`${name.toUpperCase()}=${value}`, `${name}=${value}`);
  if (http) both('http_proxy', http);
  if (https) both('https_proxy', https);
  if (http || https) both('no_proxy', [...(noProxy ? [noProxy] : []), ...LOCAL_HOSTS, ...jobHosts].join(','));
  return env;
}

/** The variables that point tools at the extra CA, for the primary, where installExtraCa put it. */
export function caEnv(outbound: Outbound | undefined): string[] {
  if (outbound?.extraCa === undefined) return [];
  return [
    `SSL_CERT_FILE=${CA_BUNDLE_PATH}`,
    `REQUESTS_CA_BUNDLE=${CA_BUNDLE_PATH}`,
    `GIT_SSL_CAINFO=${CA_BUNDLE_PATH}`,
    `NODE_EXTRA_CA_CERTS=${EXTRA_CA_PATH}`,
  ];
}

/**
 * Adds the extra CA to the primary's system bundle (the first of SYSTEM_BUNDLES it has as a file)
 * and writes CA_BUNDLE_PATH and EXTRA_CA_PATH. Written through the engine, as root: a job whose
 * user is not root cannot change its image's bundle itself.
 */
export async function installExtraCa(backend: JobBackend, primary: string, extraCa: string): Promise<void> {
  const extra = extraCa.endsWith('\n') ? extraCa : `${extraCa}\n`;
  const system = await systemBundle(backend, primary);
  const combined = `${system?.text ?? ''}${system && !system.text.endsWith('\n') ? '\n' : ''}${extra}`;
  const out = pack();
  out.entry({ name: 'gyre/', type: 'directory', mode: 0o755 });
  out.entry({ name: CA_BUNDLE_PATH.slice(1), mode: 0o644 }, combined);
  out.entry({ name: EXTRA_CA_PATH.slice(1), mode: 0o644 }, extra);
  if (system) out.entry({ name: system.path.slice(1), mode: system.mode }, combined);
  out.finalize();
  await backend.putArchive(primary, '/', nodeStream(out));
}

async function systemBundle(
  backend: JobBackend,
  primary: string,
): Promise<{ path: string; text: string; mode: number } | undefined> {
  for (const path of SYSTEM_BUNDLES) {
    if (!(await backend.hasPath(primary, path))) continue;
    let found: { path: string; text: string; mode: number } | undefined;
    await eachEntry(await backend.getArchive(primary, path), async (header, body) => {
      // A link (Alpine's /etc/ssl/cert.pem is one) is left alone: its target is in the list.
      if (found !== undefined || header.type !== 'file') return;
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk as Buffer);
      found = { path, text: Buffer.concat(chunks).toString('utf8'), mode: header.mode ?? 0o644 };
    });
    if (found) return found;
  }
  return undefined;
}
