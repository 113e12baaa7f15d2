/**
 * What publishing a range of ports through Compose costs (issue 20: builders expose 64535–65535
 * for SSH into builds). The same one-container stack is brought up with no port, with one port,
 * and with the whole range of 1,001 ports, `BENCH_PORT_RUNS` times each, through the real
 * `docker compose` (the `docker-compose` npm package). For each: the time `up -d` takes, the
 * `docker-proxy` processes the engine starts (one per published port and address family unless
 * the daemon runs without its userland proxy) and their resident memory summed (pages they share
 * are counted in each), and the time `down` takes.
 * Ratios are against the stack with no port, measured in the same run: the machines are shared
 * and noisy.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as compose from 'docker-compose';
import { percentile, round } from './stats.js';

const RUNS = Number(process.env['BENCH_PORT_RUNS'] ?? 3);
const IMAGE = process.env['BENCH_PORT_IMAGE'] ?? 'debian:bookworm-slim';
const PROJECT = `bench-ssh-ports-${process.pid}`;

interface Variant {
  readonly name: string;
  readonly ports: readonly string[];
}

const VARIANTS: readonly Variant[] = [
  { name: 'no port', ports: [] },
  { name: 'one port (64535)', ports: ['64535:22'] },
  { name: 'the range (64535-65535, 1,001 ports)', ports: ['64535-65535:64535-65535'] },
];

interface Measure {
  readonly upMs: number;
  readonly downMs: number;
  readonly proxies: number;
  readonly proxyRssBytes: number;
}

/** The docker-proxy processes running now, with their resident memory: of a daemon on this machine only (/proc). */
function dockerProxies(): { count: number; rssBytes: number } {
  let count = 0;
  let rssBytes = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (!/^Name:\s+docker-proxy$/m.test(status)) continue;
    count += 1;
    rssBytes += Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
  }
  return { count, rssBytes };
}

async function measure(variant: Variant, folder: string): Promise<Measure> {
  const ports = variant.ports.map((port) => `      - "${port}"\n`).join('');
  writeFileSync(
    join(folder, 'compose.yml'),
    `services:\n  box:\n    image: ${IMAGE}\n    command: ["sleep", "600"]\n    init: true\n${ports ? `    ports:\n${ports}` : ''}`,
  );
  const options = { cwd: folder, composeOptions: ['-p', PROJECT] };
  const before = dockerProxies();
  let started = performance.now();
  await compose.upAll(options);
  const upMs = performance.now() - started;
  const during = dockerProxies();
  started = performance.now();
  await compose.down(options);
  const downMs = performance.now() - started;
  return {
    upMs,
    downMs,
    proxies: during.count - before.count,
    proxyRssBytes: during.rssBytes - before.rssBytes,
  };
}

async function main(): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'gyre-bench-ports-'));
  console.log(`# Publishing ports through Compose (${RUNS} runs each, ${IMAGE})`);
  const results = new Map<string, Measure[]>();
  try {
    for (let run = 0; run < RUNS; run += 1)
      for (const variant of VARIANTS)
        results.set(variant.name, [...(results.get(variant.name) ?? []), await measure(variant, folder)]);
  } finally {
    await compose.down({ cwd: folder, composeOptions: ['-p', PROJECT] }).catch(() => undefined);
    rmSync(folder, { recursive: true, force: true });
  }
  const median = (values: number[]) =>
    percentile(
      [...values].sort((a, b) => a - b),
      50,
    );
  const base = results.get(VARIANTS[0]!.name)!;
  const baseUp = median(base.map((m) => m.upMs));
  const baseDown = median(base.map((m) => m.downMs));
  console.log('| stack | up -d p50 | ratio | down p50 | ratio | docker-proxy processes | their RSS, summed |');
  console.log('|---|---|---|---|---|---|---|');
  for (const variant of VARIANTS) {
    const measures = results.get(variant.name)!;
    const up = median(measures.map((m) => m.upMs));
    const down = median(measures.map((m) => m.downMs));
    const proxies = median(measures.map((m) => m.proxies));
    const rss = median(measures.map((m) => m.proxyRssBytes)) / 1024 ** 2;
    console.log(
      `| ${variant.name} | ${Math.round(up)} ms | ${round(up / baseUp)}× | ${Math.round(down)} ms | ${round(down / baseDown)}× | ${proxies} | ${round(rss)} MiB |`,
    );
  }
}

await main();
