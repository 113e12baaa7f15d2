/**
 * Which hosts repository URLs may name. Gyre fetches from the services box, so a URL naming a
 * loopback, link-local (cloud metadata) or the box's own address would let a project owner make
 * it talk to its database, its admin console or the cloud's metadata service, and the answers
 * (refused, timed out, not a git server) would work as a port scanner. Such hosts are refused
 * unless an administrator lists them in GYRE_GIT_ALLOWED_HOSTS.
 *
 * A host name is checked by what it resolves to, when a project is saved and again before every
 * fetch (a name can be pointed elsewhere after it was saved); the fetch then pins the address it
 * checked (see {@link GitMirror}). A name that does not resolve passes here: git fails on it later.
 */
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { GitError } from './git-error.js';
import type { RepositoryUrl } from './repository-url.js';

/** Resolves a host name to its addresses; node's `dns.lookup` by default. */
export type ResolveHost = (host: string) => Promise<string[]>;

/** Ranges refused everywhere: this host, loopback, link-local, and their IPv4-mapped forms. */
const ALWAYS_REFUSED: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
];

/** The addresses and networks of this machine's interfaces (`os.networkInterfaces()`), as `address/prefix`. */
export function ownNetworks(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .flatMap((nic) => (nic?.cidr ? [nic.cidr] : []));
}

export interface HostPolicyOptions {
  /** Host names, addresses and CIDR ranges an administrator allows (GYRE_GIT_ALLOWED_HOSTS). */
  readonly allowed: readonly string[];
  /** The services box's own networks, refused like loopback. @default {@link ownNetworks}() */
  readonly ownNetworks?: readonly string[];
  /** @default node's dns.lookup, every address */
  readonly resolve?: ResolveHost;
}

/** Decides whether a repository URL's host may be fetched from. */
export class HostPolicy {
  private readonly allowedNames = new Set<string>();
  private readonly allowedRanges = new BlockList();
  private readonly resolve: ResolveHost;
  private readonly ownNetworks: () => readonly string[];

  constructor(options: HostPolicyOptions) {
    for (const entry of options.allowed) {
      if (isIP(entry.split('/')[0] ?? '') === 0) this.allowedNames.add(entry.toLowerCase());
      else addRange(this.allowedRanges, entry);
    }
    const own = options.ownNetworks;
    // Read on every check: interfaces come and go (a Docker bridge is listed only while it is up).
    this.ownNetworks = own === undefined ? ownNetworks : () => own;
    this.resolve =
      options.resolve ?? (async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address));
  }

  /**
   * The addresses the URL's host may be reached at (empty for `file://`, an allowed name or a name
   * that does not resolve). Throws a {@link GitError} of kind `not-allowed` that names only the
   * host, never which address or why it answered as it did.
   */
  async check(url: RepositoryUrl): Promise<readonly string[]> {
    if (url.transport === 'file' || this.allowedNames.has(url.host)) return [];
    const addresses = isIP(url.host) !== 0 ? [url.host] : await this.resolve(url.host).catch(() => []);
    const refused = new BlockList();
    for (const [address, prefix] of ALWAYS_REFUSED) refused.addSubnet(address, prefix, familyOf(address));
    for (const network of this.ownNetworks()) addRange(refused, network);
    for (const address of addresses) {
      const family = familyOf(address);
      if (refused.check(address, family) && !this.allowedRanges.check(address, family))
        throw new GitError(
          'not-allowed',
          `The repository host ${url.host} is not allowed: Gyre does not fetch from loopback, link-local or the services box's own addresses. ` +
            'Use the address the repository is published at, or ask an administrator to list the host in GYRE_GIT_ALLOWED_HOSTS',
        );
    }
    return addresses;
  }
}

function addRange(list: BlockList, entry: string): void {
  const [address = '', bits] = entry.split('/');
  const family = familyOf(address);
  list.addSubnet(address, bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits), family);
}

function familyOf(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}
