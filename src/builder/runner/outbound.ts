/**
 * The builder's way out, given to its jobs: the proxy settings and the extra certificate
 * authorities (a TLS-inspecting proxy's, an internal CA) the agent itself uses. Jobs get the
 * proxy in both spellings tools read, with the job's own containers in NO_PROXY, and the extra CA
 * where their tools look: appended to the image's own bundle, in a bundle of their own at
 * /gyre/ca-bundle.pem that the usual variables name, and alone for Node (which adds it to its own).
 */
import { posix } from 'node:path';
import { pack } from 'tar-stream';
import type { JobBackend } from '../../docker/index.js';
import { eachEntry, nodeStream } from '../../shared/tar-streams.js';

export interface Outbound {
  readonly proxy: { readonly http?: string; readonly https?: string; readonly noProxy?: string };
  /** PEM certificates to trust besides the image's own. */
  readonly extraCa?: string;
}

/** The job's whole bundle: the image's, then the extra CA. */
export const JOB_CA_BUNDLE_PATH = '/gyre/ca-bundle.pem';
/** The extra CA alone, for NODE_EXTRA_CA_CERTS (Node adds it to its own list instead of replacing it). */
export const JOB_EXTRA_CA_PATH = '/gyre/extra-ca.pem';

/**
 * Where images keep their system bundle (Debian, Ubuntu, Alpine and Arch; Fedora and RHEL), which
 * curl, wget, git and OpenSSL read when no variable says otherwise.
 */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'] as const;

/** Hosts no job should reach through the proxy: itself. */
const LOCAL_HOSTS = ['localhost', '127.0.0.1', '::1'];

/**
 * The proxies jobs are given but cannot reach: those on the builder host's loopback, which the
 * agent (on the host's network) reaches and a job's container, with a loopback of its own, does not.
 */
export function unreachableProxies(outbound: Outbound | undefined): string[] {
  return [outbound?.proxy.http, outbound?.proxy.https]
    .filter((proxy): proxy is string => proxy !== undefined)
    .filter((proxy, index, all) => all.indexOf(proxy) === index && isLoopback(proxy));
}

function isLoopback(proxy: string): boolean {
  let host: string;
  try {
    host = new URL(proxy).hostname;
  } catch {
    return false;
  }
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

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
    `SSL_CERT_FILE=${JOB_CA_BUNDLE_PATH}`,
    `REQUESTS_CA_BUNDLE=${JOB_CA_BUNDLE_PATH}`,
    `GIT_SSL_CAINFO=${JOB_CA_BUNDLE_PATH}`,
    `NODE_EXTRA_CA_CERTS=${JOB_EXTRA_CA_PATH}`,
  ];
}

/**
 * Adds the extra CA to the primary's system bundle (the first of SYSTEM_BUNDLES it has as a file)
 * and writes JOB_CA_BUNDLE_PATH and JOB_EXTRA_CA_PATH; resolves to the system bundle's path, or
 * undefined when the image has none. Written through the engine, as root: a job whose user is not
 * root cannot change its image's bundle itself.
 */
export async function installExtraCa(
  backend: JobBackend,
  primary: string,
  extraCa: string,
): Promise<string | undefined> {
  const extra = extraCa.endsWith('\n') ? extraCa : `${extraCa}\n`;
  const system = await systemBundle(backend, primary);
  const combined = `${system?.text ?? ''}${system && !system.text.endsWith('\n') ? '\n' : ''}${extra}`;
  const out = pack();
  out.entry({ name: 'gyre/', type: 'directory', mode: 0o755 });
  out.entry({ name: JOB_CA_BUNDLE_PATH.slice(1), mode: 0o644 }, combined);
  out.entry({ name: JOB_EXTRA_CA_PATH.slice(1), mode: 0o644 }, extra);
  if (system) out.entry({ name: system.path.slice(1), mode: system.mode }, combined);
  out.finalize();
  await backend.putArchive(primary, '/', nodeStream(out));
  return system?.path;
}

async function systemBundle(
  backend: JobBackend,
  primary: string,
): Promise<{ path: string; text: string; mode: number } | undefined> {
  for (const candidate of SYSTEM_BUNDLES) {
    // Fedora's, RHEL's and Arch's bundles are links into an extracted trust store: followed,
    // a few hops at most, so the file itself gets the extra CA.
    let path: string = candidate;
    for (let hops = 0; hops < 4 && (await backend.hasPath(primary, path)); hops += 1) {
      const entry = await bundleEntry(backend, primary, path);
      if (entry?.kind === 'file') return { path, text: entry.text, mode: entry.mode };
      if (entry?.kind !== 'link') break;
      path = posix.resolve(posix.dirname(path), entry.target);
    }
  }
  return undefined;
}

type BundleEntry = { kind: 'file'; text: string; mode: number } | { kind: 'link'; target: string };

/** The archive API's one entry for `path`: the file's text or the link's target; nothing for a folder. */
async function bundleEntry(backend: JobBackend, primary: string, path: string): Promise<BundleEntry | undefined> {
  let found: BundleEntry | undefined;
  await eachEntry(await backend.getArchive(primary, path), async (header, body) => {
    if (found !== undefined || header.name !== posix.basename(path)) return;
    if (header.type === 'symlink' && header.linkname) found = { kind: 'link', target: header.linkname };
    if (header.type !== 'file') return;
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    found = { kind: 'file', text: Buffer.concat(chunks).toString('utf8'), mode: header.mode ?? 0o644 };
  });
  return found;
}
