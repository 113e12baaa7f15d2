/**
 * The egress policy of a builder's jobs: they reach the internet and their own service
 * containers, never the services box, the builder host, other jobs, link-local (metadata)
 * addresses or a Docker API, unless the administrator's allow-list opens an address.
 *
 * It is kept as iptables rules on the engine's host, as the product Gyre re-creates hardens its
 * builders: a chain jumped to first from `DOCKER-USER` (forwarded traffic; Docker keeps that chain
 * for its users and never rewrites it) and one from `INPUT` (traffic to the host's own addresses,
 * which Docker's chains do not judge). Every rule matches job bridges by their name's prefix, so the rules are
 * written once when the agent starts, not per job, and a job's network is covered from the moment
 * it exists. The rules are replaced as a whole on every start (`iptables-restore --noflush`
 * flushes the chains it declares), so a changed allow-list or services address takes effect then.
 * A running agent looks again every few minutes and writes them again when a firewall reload
 * took its jumps away; an agent started with the policy off removes the jumps.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { formatEgressList, type EgressEntry, type EgressSettings } from '../../config/index.js';
import { JOB_BRIDGE_PREFIX, type JobBackend } from '../../docker/index.js';
import { ExitCode, GyreError, messageOf, UnavailableError } from '../../shared/errors.js';
import { builderObjectLabels } from '../../shared/labels.js';

/** Jumped to first from DOCKER-USER: what jobs send through the host to other machines and containers. */
export const FORWARD_CHAIN = 'GYRE-JOBS';
/** Jumped to first from INPUT: what jobs send to the host's own addresses. */
export const INPUT_CHAIN = 'GYRE-JOBS-INPUT';
/** Where refused traffic goes: a TCP reset or an ICMP error, so a job fails at once, not by timeout. */
const REFUSE_CHAIN = 'GYRE-JOBS-REFUSE';

/** How often a running agent checks that its jumps are still there. */
export const EGRESS_RECHECK_MS = 5 * 60_000;

/** Ports of the Docker API (plain, TLS) and of Swarm's management, refused on every address. */
const DOCKER_API_PORTS = '2375:2377';

export interface EgressPolicy {
  /** The services box's IPv4 addresses, as the builder resolves its GYRE_SERVICES_URL. */
  readonly servicesAddresses: readonly string[];
  readonly allow: readonly EgressEntry[];
  /** What the administrator refuses besides (GYRE_EGRESS_DENY). @default none */
  readonly deny?: readonly EgressEntry[];
}

/**
 * One rule per entry (per protocol when it names ports) in both chains, sending what it matches to
 * `target`. In FORWARD the destination is already rewritten for a port published on the host, so
 * an entry matches the address and port the job asked for (conntrack's original ones).
 */
function entryRules(entries: readonly EgressEntry[], target: string): { forward: string[]; input: string[] } {
  const rules = (chain: string, match: (block: string, ports?: string) => string) =>
    entries.flatMap(({ block, ports }) =>
      ports
        ? ['tcp', 'udp'].map(
            (protocol) => `-A ${chain} -p ${protocol} ${match(block, `${ports.first}:${ports.last}`)} -j ${target}`,
          )
        : [`-A ${chain} ${match(block)} -j ${target}`],
    );
  return {
    forward: rules(
      FORWARD_CHAIN,
      (block, ports) => `-m conntrack --ctorigdst ${block}${ports ? ` --ctorigdstport ${ports}` : ''}`,
    ),
    input: rules(INPUT_CHAIN, (block, ports) => `-d ${block}${ports ? ` --dport ${ports}` : ''}`),
  };
}

/** The rules before the refusals: what is judged, what always flows, and the allow-list. */
function openings(policy: EgressPolicy): string[] {
  const jobs = `-i ${JOB_BRIDGE_PREFIX}+`;
  const { forward, input } = entryRules(policy.allow, 'RETURN');
  return [
    '*filter',
    `:${FORWARD_CHAIN} - [0:0]`,
    `:${INPUT_CHAIN} - [0:0]`,
    `:${REFUSE_CHAIN} - [0:0]`,
    `-A ${REFUSE_CHAIN} -p tcp -j REJECT --reject-with tcp-reset`,
    `-A ${REFUSE_CHAIN} -j REJECT --reject-with icmp-admin-prohibited`,
    // Only jobs' traffic is judged; everything else goes on to Docker's own rules.
    `-A ${FORWARD_CHAIN} ! ${jobs} -j RETURN`,
    // Within one job's bridge (its primary and its services) everything flows.
    `-A ${FORWARD_CHAIN} -m physdev --physdev-is-bridged -j RETURN`,
    // Answers to connections made into a job's network from outside it.
    `-A ${FORWARD_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    ...forward,
    `-A ${INPUT_CHAIN} ! ${jobs} -j RETURN`,
    // Answers to the builder's own connections into a job's network (a helper's channel).
    `-A ${INPUT_CHAIN} -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN`,
    ...input,
  ];
}

/** The refusals, after the openings and the host's name servers. */
function refusals(policy: EgressPolicy): string[] {
  const refuse = (chain: string, match: string) => `-A ${chain} ${match} -j ${REFUSE_CHAIN}`;
  const denied = entryRules(policy.deny ?? [], REFUSE_CHAIN);
  return [
    // What the administrator refuses besides; after the allow-list, which wins.
    ...denied.forward,
    ...denied.input,
    // Ports published on any of the host's addresses (the services box's 80, 443 and 8800).
    refuse(FORWARD_CHAIN, '-m conntrack --ctstate DNAT'),
    refuse(FORWARD_CHAIN, '-d 169.254.0.0/16'),
    ...policy.servicesAddresses.map((address) => refuse(FORWARD_CHAIN, `-d ${address}`)),
    // Other bridges on this host: other jobs' networks, the services box's, every other container's.
    refuse(FORWARD_CHAIN, `-o ${JOB_BRIDGE_PREFIX}+`),
    refuse(FORWARD_CHAIN, '-o br-+'),
    refuse(FORWARD_CHAIN, '-o docker0'),
    refuse(FORWARD_CHAIN, `-p tcp -m multiport --dports ${DOCKER_API_PORTS}`),
    // To the host itself: its gateway address on the job's bridge and every other one it holds.
    refuse(INPUT_CHAIN, `-i ${JOB_BRIDGE_PREFIX}+`),
    'COMMIT',
  ];
}

// Finds the iptables the engine uses: the one whose FORWARD chain jumps to Docker's DOCKER-USER.
// nft first, and legacy only if nft does not qualify: asking iptables-legacy loads the kernel's
// legacy tables, which makes every later iptables-nft command on the host warn about them.
const FIND_IPTABLES = `ipt=
for candidate in iptables-nft iptables-legacy; do
  if "$candidate" -w -S FORWARD 2>/run/why | grep -q -- '-j DOCKER-USER'; then ipt=$candidate; break; fi
done`;

/**
 * The helper's script. It finds the iptables the engine uses, loads the rules with the host's
 * IPv4 name servers (from its resolv.conf, which host networking shares), then puts both jumps
 * first, once each, wherever they were, never leaving a moment without them. Its last two lines
 * name the iptables it used and say `written`, or `kept` on a `recheck` that found both jumps
 * first and left everything untouched. Exits 3 when no iptables qualifies.
 */
export function egressScript(policy: EgressPolicy, recheck = false): string {
  return `set -eu
${FIND_IPTABLES}
if [ -z "$ipt" ]; then
  echo "no iptables (nft or legacy) sends FORWARD to Docker's DOCKER-USER chain: the engine manages no iptables (dockerd --iptables=false, a rootless engine, or Docker's nftables backend): $(cat /run/why)" >&2
  exit 3
fi
${
  recheck
    ? `if [ "$("$ipt" -w -S DOCKER-USER | sed -n 2p)" = "-A DOCKER-USER -j ${FORWARD_CHAIN}" ] &&
  [ "$("$ipt" -w -S INPUT | sed -n 2p)" = "-A INPUT -j ${INPUT_CHAIN}" ]; then
  echo "$ipt"; echo kept; exit 0
fi`
    : ''
}
# Docker's embedded resolver asks the host's name servers from inside the job's network, so they
# stay reachable on port 53 where they are refused otherwise (Google Cloud's metadata address, a
# dnsmasq on the host).
name_servers=$(awk '$1 == "nameserver" && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\\./ { print $2 }' /etc/resolv.conf)
{
  cat <<'RULES'
${openings(policy).join('\n')}
RULES
  for address in $name_servers; do
    for chain in ${FORWARD_CHAIN} ${INPUT_CHAIN}; do
      for protocol in udp tcp; do echo "-A $chain -d $address -p $protocol --dport 53 -j RETURN"; done
    done
  done
  cat <<'RULES'
${refusals(policy).join('\n')}
RULES
} | "$ipt-restore" -w --noflush
# Each jump first and once: the new one goes in at the top before the older copies come out (the
# last first, so the numbers of those above stay right), so that jobs are never without one.
first() {
  "$ipt" -w -I "$1" 1 -j "$2"
  for n in $("$ipt" -w -S "$1" | awk -v rule="-A $1 -j $2" '$0 == rule { print NR - 1 }' | sort -rn); do
    if [ "$n" -gt 1 ]; then "$ipt" -w -D "$1" "$n"; fi
  done
}
first DOCKER-USER ${FORWARD_CHAIN}
first INPUT ${INPUT_CHAIN}
echo "$ipt"
echo written
`;
}

/**
 * The script of an agent started with the policy off: takes out the jumps an earlier start wrote,
 * so that off means off. Without an iptables that Docker uses, there is nothing to take out.
 */
export function egressRemovalScript(): string {
  return `set -eu
${FIND_IPTABLES}
if [ -z "$ipt" ]; then echo none; exit 0; fi
while "$ipt" -w -D DOCKER-USER -j ${FORWARD_CHAIN} 2>/dev/null; do :; done
while "$ipt" -w -D INPUT -j ${INPUT_CHAIN} 2>/dev/null; do :; done
echo "$ipt"
`;
}

/** The IPv4 addresses of the services URL's host (loopback ones left out: a job has its own loopback). */
export async function servicesAddressesOf(servicesUrl: string): Promise<string[]> {
  const host = new URL(servicesUrl).hostname.replace(/^\[|\]$/g, '');
  const addresses =
    isIP(host) !== 0 ? [host] : (await lookup(host, { all: true, family: 4 })).map((found) => found.address);
  return [...new Set(addresses)].filter((address) => isIP(address) === 4 && !address.startsWith('127.'));
}

/** Who runs the helper, and where the services box is. */
export interface EgressOptions {
  readonly builderName: string;
  readonly helperImage: string;
  readonly servicesUrl: string;
  readonly egress: EgressSettings;
}

/**
 * Writes the policy onto the engine's host through a firewall helper of `helperImage`. Throws a
 * GyreError that says how to go on when the host cannot hold it: jobs must not run unguarded
 * unless the administrator said so. On a `recheck`, rules whose jumps are still first are kept,
 * and finding them gone is logged as a warning.
 */
export async function applyEgressPolicy(
  backend: JobBackend,
  options: EgressOptions,
  log: Logger,
  recheck = false,
): Promise<void> {
  let servicesAddresses: string[];
  try {
    servicesAddresses = await servicesAddressesOf(options.servicesUrl);
  } catch (error) {
    throw new UnavailableError(
      `GYRE_SERVICES_URL: could not resolve ${new URL(options.servicesUrl).hostname}, whose addresses jobs must not reach: ${messageOf(error)}; check the name and this host's DNS`,
      { cause: error },
    );
  }
  const policy = { servicesAddresses, allow: options.egress.allow, deny: options.egress.deny ?? [] };
  let output: string;
  try {
    output = await backend.runHostFirewall(
      options.helperImage,
      egressScript(policy, recheck),
      builderObjectLabels(options.builderName),
    );
  } catch (error) {
    throw new GyreError(
      `Could not apply the jobs' egress policy on the engine's host: ${messageOf(error)}. Fix: run the engine with its iptables management on (the default), or set GYRE_EGRESS_POLICY=off to run jobs without the policy (they then reach the services box, this host and other jobs).`,
      ExitCode.failure,
      { cause: error },
    );
  }
  const [iptables, outcome] = output.trim().split('\n').slice(-2);
  const facts = {
    iptables,
    servicesAddresses,
    allow: formatEgressList(options.egress.allow),
    deny: formatEgressList(options.egress.deny ?? []),
  };
  if (!recheck) log.info(facts, "jobs' egress policy applied");
  else if (outcome === 'written')
    log.warn(
      facts,
      "the jobs' egress rules were not first in DOCKER-USER and INPUT any more (a firewall reload, or another tool's rule above them): written again and put first",
    );
}

/**
 * Checks the policy every `intervalMs` while the agent runs (see {@link applyEgressPolicy}'s
 * recheck), one check at a time; a check that fails is logged, and the next one tries again.
 */
export function keepEgressPolicy(
  backend: JobBackend,
  options: EgressOptions,
  log: Logger,
  intervalMs: number,
): { stop(): void } {
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    applyEgressPolicy(backend, options, log, true)
      .catch((error: unknown) => log.error({ err: messageOf(error) }, "could not check the jobs' egress rules"))
      .finally(() => (checking = false));
  }, intervalMs);
  // The agent's own work keeps the process alive; this timer never should.
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * With the policy off, takes out the jumps an earlier start wrote, so that off means off. A host
 * where that cannot run (a rootless engine) has none to take out: its failure is only logged.
 */
export async function removeEgressPolicy(
  backend: JobBackend,
  options: Pick<EgressOptions, 'builderName' | 'helperImage'>,
  log: Logger,
): Promise<void> {
  try {
    const iptables = (
      await backend.runHostFirewall(
        options.helperImage,
        egressRemovalScript(),
        builderObjectLabels(options.builderName),
      )
    ).trim();
    log.warn(
      { iptables },
      `GYRE_EGRESS_POLICY is off: jobs reach the services box, this host and other jobs' containers; ${iptables === 'none' ? "the engine's host has no iptables of Docker's, so no jumps to remove" : "the jumps to the policy's chains are removed"}`,
    );
  } catch (error) {
    log.warn(
      { err: messageOf(error) },
      "GYRE_EGRESS_POLICY is off: jobs reach the services box, this host and other jobs' containers (no jumps to remove could be looked for)",
    );
  }
}
