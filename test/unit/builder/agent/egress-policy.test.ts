import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import {
  applyEgressPolicy,
  egressScript,
  keepEgressPolicy,
  removeEgressPolicy,
  servicesAddressesOf,
} from '../../../../src/builder/agent/egress-policy.js';
import { until } from '../../../support/until.js';
import { LABELS } from '../../../../src/shared/labels.js';
import { FakeJobBackend } from '../../../support/fake-job-backend.js';

const silent = pino({ level: 'silent' });
const OPTIONS = {
  builderName: 'b1',
  helperImage: 'gyre/app:0.1.0',
  servicesUrl: 'http://10.0.0.5:8080',
  egress: { enforce: true, allow: [] },
};

/** The rules of one chain, in order. */
const chain = (rules: string, name: string) => rules.split('\n').filter((line) => line.startsWith(`-A ${name} `));

describe("the jobs' egress rules", () => {
  const rules = egressScript({
    servicesAddresses: ['10.0.0.5'],
    allow: [{ block: '10.0.9.0/24' }, { block: '10.0.8.1', ports: { first: 5432, last: 5433 } }],
  });

  it('judge only traffic from job bridges, and let a job talk to its own containers and answer the host', () => {
    const forward = chain(rules, 'GYRE-JOBS');
    expect(forward.slice(0, 3)).toEqual([
      '-A GYRE-JOBS ! -i gyj-+ -j RETURN',
      '-A GYRE-JOBS -m physdev --physdev-is-bridged -j RETURN',
      '-A GYRE-JOBS -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN',
    ]);
  });

  it('open the allow-list and the name servers before any refusal, for TCP and UDP on a port range', () => {
    const forward = chain(rules, 'GYRE-JOBS');
    const firstRefusal = forward.findIndex((line) => line.endsWith('-j GYRE-JOBS-REFUSE'));
    // In FORWARD by the address the job asked for, so a port published on the host can be opened too.
    expect(forward.filter((line) => line.includes('10.0.'))).toEqual([
      '-A GYRE-JOBS -m conntrack --ctorigdst 10.0.9.0/24 -j RETURN',
      '-A GYRE-JOBS -p tcp -m conntrack --ctorigdst 10.0.8.1 --ctorigdstport 5432:5433 -j RETURN',
      '-A GYRE-JOBS -p udp -m conntrack --ctorigdst 10.0.8.1 --ctorigdstport 5432:5433 -j RETURN',
      '-A GYRE-JOBS -d 10.0.0.5 -j GYRE-JOBS-REFUSE',
    ]);
    expect(forward.findIndex((line) => line.includes('10.0.8.1 --ctorigdstport'))).toBeLessThan(firstRefusal);
    const input = chain(rules, 'GYRE-JOBS-INPUT');
    expect(input.filter((line) => line.includes('10.0.'))).toEqual([
      '-A GYRE-JOBS-INPUT -d 10.0.9.0/24 -j RETURN',
      '-A GYRE-JOBS-INPUT -p tcp -d 10.0.8.1 --dport 5432:5433 -j RETURN',
      '-A GYRE-JOBS-INPUT -p udp -d 10.0.8.1 --dport 5432:5433 -j RETURN',
    ]);
    // The name servers' rules are written by the script between the openings and the refusals.
    const [opened, refused] = rules.split('for address in $name_servers; do');
    expect(opened).toContain('-A GYRE-JOBS-INPUT -p udp -d 10.0.8.1');
    expect(refused).toContain('echo "-A $chain -d $address -p $protocol --dport 53 -j RETURN"');
    expect(refused).toContain('-A GYRE-JOBS -m conntrack --ctstate DNAT -j GYRE-JOBS-REFUSE');
  });

  it('refuse what the administrator denies besides, in both chains, after the allow-list (which wins)', () => {
    const denying = egressScript({
      servicesAddresses: [],
      allow: [{ block: '10.1.2.3', ports: { first: 443, last: 443 } }],
      deny: [{ block: '10.0.0.0/8' }, { block: '203.0.113.10', ports: { first: 80, last: 81 } }],
    });
    const [opened, refused] = denying.split('for address in $name_servers; do');
    expect(opened).not.toContain('10.0.0.0/8');
    expect(chain(refused!, 'GYRE-JOBS').slice(0, 3)).toEqual([
      '-A GYRE-JOBS -m conntrack --ctorigdst 10.0.0.0/8 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -p tcp -m conntrack --ctorigdst 203.0.113.10 --ctorigdstport 80:81 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -p udp -m conntrack --ctorigdst 203.0.113.10 --ctorigdstport 80:81 -j GYRE-JOBS-REFUSE',
    ]);
    expect(chain(refused!, 'GYRE-JOBS-INPUT').slice(0, 3)).toEqual([
      '-A GYRE-JOBS-INPUT -d 10.0.0.0/8 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS-INPUT -p tcp -d 203.0.113.10 --dport 80:81 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS-INPUT -p udp -d 203.0.113.10 --dport 80:81 -j GYRE-JOBS-REFUSE',
    ]);
    expect(chain(opened!, 'GYRE-JOBS')).toContain(
      '-A GYRE-JOBS -p tcp -m conntrack --ctorigdst 10.1.2.3 --ctorigdstport 443:443 -j RETURN',
    );
  });

  it('refuse published ports, link-local addresses, the services box, other bridges and the Docker API', () => {
    expect(chain(rules, 'GYRE-JOBS').filter((line) => line.endsWith('-j GYRE-JOBS-REFUSE'))).toEqual([
      '-A GYRE-JOBS -m conntrack --ctstate DNAT -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -d 169.254.0.0/16 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -d 10.0.0.5 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -o gyj-+ -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -o br-+ -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -o docker0 -j GYRE-JOBS-REFUSE',
      '-A GYRE-JOBS -p tcp -m multiport --dports 2375:2377 -j GYRE-JOBS-REFUSE',
    ]);
    // Everything a job sends to one of the host's own addresses, after answers and the allow-list.
    expect(chain(rules, 'GYRE-JOBS-INPUT').at(-1)).toBe('-A GYRE-JOBS-INPUT -i gyj-+ -j GYRE-JOBS-REFUSE');
  });

  it('are loaded whole by the script, which then puts both jumps first, once each', () => {
    const script = egressScript({ servicesAddresses: [], allow: [] });
    expect(script).toContain(`} | "$ipt-restore" -w --noflush\n`);
    expect(script).toContain('first DOCKER-USER GYRE-JOBS\nfirst INPUT GYRE-JOBS-INPUT\n');
    // The new jump goes in before any older copy comes out: never a moment without one.
    const first = script.slice(script.indexOf('first() {'));
    expect(first.indexOf('-I "$1" 1 -j "$2"')).toBeLessThan(first.indexOf('-D "$1" "$n"'));
    expect(script).not.toContain('-D DOCKER-USER -j GYRE-JOBS');
  });
});

describe("the services box's addresses", () => {
  it('are the URL’s own address, or what its name resolves to, without loopback', async () => {
    expect(await servicesAddressesOf('https://10.1.2.3')).toEqual(['10.1.2.3']);
    expect(await servicesAddressesOf('http://127.0.0.1:8080')).toEqual([]);
    expect(await servicesAddressesOf('http://localhost:8080')).toEqual([]);
  });
});

describe('applying the policy', () => {
  it("runs the script in the agent's image, labelled as the builder's, so a crash's leftover is cleaned up", async () => {
    const backend = new FakeJobBackend();
    await applyEgressPolicy(backend, OPTIONS, silent);
    expect(backend.firewallRuns).toHaveLength(1);
    const run = backend.firewallRuns[0]!;
    expect(run.image).toBe('gyre/app:0.1.0');
    expect(run.labels[LABELS.builder]).toBe('b1');
    expect(run.script).toContain('-A GYRE-JOBS -d 10.0.0.5 -j GYRE-JOBS-REFUSE');
  });

  it('fails, saying how to go on, when the host cannot hold it', async () => {
    const backend = new FakeJobBackend();
    backend.firewallAnswer = new Error(
      "The firewall helper exited 3: no iptables (nft or legacy) sends FORWARD to Docker's DOCKER-USER chain",
    );
    await expect(applyEgressPolicy(backend, OPTIONS, silent)).rejects.toThrow(
      /^Could not apply the jobs' egress policy on the engine's host: The firewall helper exited 3: .*set GYRE_EGRESS_POLICY=off/,
    );
  });

  it('fails, naming the setting, when the services URL’s name does not resolve', async () => {
    const backend = new FakeJobBackend();
    await expect(
      applyEgressPolicy(backend, { ...OPTIONS, servicesUrl: 'http://no-such-host.invalid' }, silent),
    ).rejects.toThrow(/^GYRE_SERVICES_URL: could not resolve no-such-host\.invalid/);
    expect(backend.firewallRuns).toHaveLength(0);
  });
});

/** A logger whose lines' messages land in `messages`, from level `level` up. */
function capturing(messages: string[], level = 'info') {
  return pino({ level }, { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) });
}

describe('keeping the policy', () => {
  it('leaves rules alone when a check finds both jumps first, and never rewrites them on a start', () => {
    const check = egressScript({ servicesAddresses: [], allow: [] }, true);
    const start = egressScript({ servicesAddresses: [], allow: [] });
    const keep = 'echo "$ipt"; echo kept; exit 0';
    expect(check).toContain(keep);
    // The check comes before anything is written.
    expect(check.indexOf(keep)).toBeLessThan(check.indexOf('-restore'));
    expect(start).not.toContain(keep);
  });

  it('warns when a check had to write the rules again, and says nothing when it kept them', async () => {
    const backend = new FakeJobBackend();
    const messages: string[] = [];
    backend.firewallAnswer = 'iptables-nft\nkept\n';
    await applyEgressPolicy(backend, OPTIONS, capturing(messages), true);
    expect(messages).toEqual([]);
    backend.firewallAnswer = 'iptables-nft\nwritten\n';
    await applyEgressPolicy(backend, OPTIONS, capturing(messages), true);
    expect(messages).toEqual([
      "the jobs' egress rules were not first in DOCKER-USER and INPUT any more (a firewall reload, or another tool's rule above them): written again and put first",
    ]);
    expect(backend.firewallRuns.every((run) => run.script.includes('echo kept'))).toBe(true);
  });

  it('checks again and again while it runs, logs a failed check and goes on, and stops when told', async () => {
    const backend = new FakeJobBackend();
    backend.firewallAnswer = new Error('the helper could not start');
    const messages: string[] = [];
    const watch = keepEgressPolicy(backend, OPTIONS, capturing(messages), 5);
    await until('two checks', () => backend.firewallRuns.length >= 2);
    watch.stop();
    const runs = backend.firewallRuns.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(backend.firewallRuns.length).toBe(runs);
    expect(messages[0]).toBe("could not check the jobs' egress rules");
  });
});

describe('turning the policy off', () => {
  it('takes the jumps out, and only warns when the host has no iptables to look in', async () => {
    const backend = new FakeJobBackend();
    const messages: string[] = [];
    await removeEgressPolicy(backend, OPTIONS, capturing(messages));
    expect(backend.firewallRuns[0]?.script).toContain('-D DOCKER-USER -j GYRE-JOBS');
    expect(backend.firewallRuns[0]?.script).not.toContain('-restore');
    backend.firewallAnswer = new Error('no NET_ADMIN here');
    await expect(removeEgressPolicy(backend, OPTIONS, capturing(messages))).resolves.toBeUndefined();
    expect(messages).toHaveLength(2);
    expect(messages[1]).toMatch(/^GYRE_EGRESS_POLICY is off: .*no jumps to remove could be looked for/);
  });
});
