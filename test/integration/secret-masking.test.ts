import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { Agent } from '../../src/builder/agent/agent.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { jobsMayReach, startAgent } from '../support/agent-under-test.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { byName, jobDetail, jobLog, pushAndTrigger, waitForJobs } from '../support/pipeline-runs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';

// GIVEN the real services app on a real PostgreSQL, a real git server, a real agent running jobs
// in containers, a project variable and a context variable whose values appear nowhere in the
// repository.
const SECRET = 'Zq8-pa55-w0rd-41x';
const CONTEXT_SECRET = 'ctx-Kw3-s3cr3t-77';
/** A secret's bytes as PostgreSQL prints a bytea: log chunks are stored as bytes. */
const hex = (secret: string) => Buffer.from(secret).toString('hex');
const SECRET_HEX = hex(SECRET);
/** The chunker cuts output at 256 KiB; this many bytes first puts the secret across the cut. */
const BEFORE_BOUNDARY = 256 * 1024 - 7;

let gyre: ServicesUnderTest;
let git: GitServer;
let agent: Agent;
let db: Database;
let project: { repo: string; projectId: number };

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('masked');
  const created = await gyre.client.createProject({ name: 'acme/masked', gitUrl: git.url('masked') });
  project = { repo: 'masked', projectId: created.id };
  const set = await gyre.api(`/api/v1/projects/${created.id}/variables/DEPLOY_TOKEN`, {
    method: 'PUT',
    body: { value: SECRET },
  });
  expect(set.status).toBe(204);
  expect((await gyre.api('/api/v1/contexts', { body: { name: 'cloud' } })).status).toBe(201);
  const setInContext = await gyre.api('/api/v1/contexts/cloud/variables/CLOUD_KEY', {
    method: 'PUT',
    body: { value: CONTEXT_SECRET },
  });
  expect(setInContext.status).toBe(204);
  agent = await startAgent(gyre.base, 'masking-agent', jobsMayReach(git.egressEntry));
}, 300_000);

afterAll(async () => {
  agent?.drain();
  await agent?.done;
  await db?.end();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

describe('secret values in job output', () => {
  it('never leave the builder: the stored log, the live stream, the download and the database hold only the mask', async () => {
    // WHEN a job prints the value whole, one character at a time with pauses, across a chunk
    // boundary, and in its error output. (Masked step names and failure messages: unit tests.)
    const pipeline = await pushAndTrigger(
      gyre,
      git,
      project,
      `version: 2.1
jobs:
  leak:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - run:
          name: whole
          command: echo "whole=$DEPLOY_TOKEN"
      - run:
          name: from a context
          command: echo "context=$CLOUD_KEY"
      - run:
          name: one character at a time
          command: |
            printf 'slow='
            printf '%s\\n' "$DEPLOY_TOKEN" | fold -w1 | while read -r c; do printf '%s' "$c"; sleep 0.2; done
            echo
      - run:
          name: across a chunk boundary
          command: |
            head -c ${BEFORE_BOUNDARY} /dev/zero | tr '\\0' x
            printf '%s\\n' "$DEPLOY_TOKEN"
      - run:
          name: fails naming it
          command: echo "failing with $DEPLOY_TOKEN" >&2; exit 3
workflows:
  main: { jobs: [{ leak: { context: cloud } }] }
`,
    );
    const [running] = await waitForJobs(gyre, pipeline, (jobs) => jobs.some((j) => j.state === 'running'));
    const live = readStream(running!.id);
    const [job] = await waitForJobs(gyre, pipeline);
    expect(byName([job!], 'leak').state).toBe('failed');

    // THEN every reader sees the mask where the value was, and the value nowhere.
    const stored = await jobLog(gyre, job!.id);
    expect(stored).toContain('whole=********\n');
    expect(stored).toContain('context=********\n');
    expect(stored).toContain('slow=********\n');
    expect(stored).toContain(`${'x'.repeat(BEFORE_BOUNDARY)}********\n`);
    expect(stored).toContain('failing with ********');
    const streamed = await live;
    expect(streamed).toContain('slow=********');
    const download = await (await gyre.api(`/api/v1/jobs/${job!.id}/log`, { method: 'GET' })).text();
    for (const text of [stored, streamed, download, JSON.stringify(await jobDetail(gyre, job!.id))])
      for (const secret of [SECRET, CONTEXT_SECRET]) expect(text).not.toContain(secret);

    // AND no table holds it, as text or as the bytes of a log chunk.
    const tables = await db.query<{ name: string }>(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    );
    expect(tables.rows.map((t) => t.name)).toContain('log_chunks');
    const found: string[] = [];
    for (const { name } of tables.rows) {
      const hits = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${name}" t WHERE t::text LIKE ANY ($1::text[])`,
        [[SECRET, SECRET_HEX, CONTEXT_SECRET, hex(CONTEXT_SECRET)].map((s) => `%${s}%`)],
      );
      if (hits.rows[0]!.n > 0) found.push(`${name}: ${hits.rows[0]!.n} rows`);
    }
    expect(found).toEqual([]);
  }, 240_000);
});

describe('add_ssh_keys', () => {
  it("puts the project's keys into ~/.ssh as CircleCI does, owned by the job's user, and masks them in output", async () => {
    // GIVEN a project SSH key for github.com, and a job running as uid 1000, not root, that checks out first
    const key = sshKeyText('ed25519.key');
    const { md5 } = opensshFingerprints('ed25519.key');
    const file = `/tmp/home/.ssh/id_rsa_${md5.replaceAll(':', '')}`;
    const added = await gyre.api(`/api/v1/projects/${project.projectId}/ssh-keys`, {
      body: { privateKey: key, hostname: 'github.com' },
    });
    expect(added.status).toBe(201);
    // WHEN the job adds it by fingerprint, then shows what it got
    const pipeline = await pushAndTrigger(
      gyre,
      git,
      project,
      `version: 2.1
jobs:
  deploy:
    docker: [{ image: debian:bookworm-slim, user: "1000:1000", environment: { HOME: /tmp/home } }]
    steps:
      # The image has no account for uid 1000, so the job makes its home.
      - run: mkdir -p "$HOME"
      - checkout
      - add_ssh_keys: { fingerprints: ["${md5}"] }
      - run:
          name: show
          command: |
            stat -c '%n %a %u' ~/.ssh ${file} ~/.ssh/config ~/.ssh/known_hosts
            cut -d ' ' -f 1,2 ~/.ssh/known_hosts
            echo "sum=$(sha256sum < ${file})"
            cat ~/.ssh/config
            cat ${file}
workflows:
  main: { jobs: [deploy] }
`,
    );
    const [job] = await waitForJobs(gyre, pipeline);
    const log = await jobLog(gyre, job!.id);
    const detail = await jobDetail(gyre, job!.id);
    // (a failure shows why the job ended, and its log)
    expect(detail.state === 'success' ? 'success' : `${detail.state}: ${detail.message}\n${log}`).toBe('success');
    // THEN the key is there with the modes ssh wants, byte for byte, with its Host entry
    expect(log).toContain(
      `/tmp/home/.ssh 700 1000\n${file} 600 1000\n/tmp/home/.ssh/config 600 1000\n/tmp/home/.ssh/known_hosts 600 1000\n`,
    );
    // AND the checkout left GitHub's host keys, as CircleCI's does
    expect(log).toContain('github.com ssh-ed25519\ngithub.com ecdsa-sha2-nistp256\ngithub.com ssh-rsa\n');
    expect(log).toContain(`sum=${createHash('sha256').update(key).digest('hex')}  -`);
    // AND printing it (right after the config) shows its armour and the mask, and no line of its body anywhere
    expect(log).toContain(
      `Host github.com\n  IdentitiesOnly no\n  IdentityFile "${file}"\n-----BEGIN OPENSSH PRIVATE KEY-----\n********\n-----END OPENSSH PRIVATE KEY-----\n`,
    );
    for (const line of key.trim().split('\n').slice(1, -1)) expect(log).not.toContain(line);
  }, 240_000);
});

/** Follows the job's live log (server-sent events) to its end; returns the text of its chunks. */
async function readStream(jobId: number): Promise<string> {
  const response = await fetch(`${gyre.base}/api/v1/jobs/${jobId}/log/stream`, {
    headers: { authorization: `Bearer ${gyre.token}`, accept: 'text/event-stream' },
  });
  expect(response.status).toBe(200);
  const events = (await response.text()).split('\n\n').filter((block) => block.includes('data: '));
  return events
    .filter((block) => /^event: log$/m.test(block))
    .map((block) => (JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as { text: string }).text)
    .join('');
}
