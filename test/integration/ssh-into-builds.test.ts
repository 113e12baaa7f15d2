import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { pino } from 'pino';
import ssh2 from 'ssh2';
import type { Agent } from '../../src/builder/agent/agent.js';
import { createDatabasePool, type Database } from '../../src/services/database/create-pool.js';
import { jobsMayReach, startAgent } from '../support/agent-under-test.js';
import { launchBrowser, newPage, saveScreenshot } from '../support/browser.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { OpenSshClient, runProgram } from '../support/openssh-client.js';
import { jobDetail, jobLog, pushAndTrigger, waitForJobs } from '../support/pipeline-runs.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { opensshFingerprints, sshKeyText } from '../support/ssh-key-fixtures.js';
import { settingsFrom } from '../support/settings.js';
import { until } from '../support/until.js';
import { accountToken } from '../support/web-client.js';

// GIVEN the real services app on a real PostgreSQL, a real git server, an agent running jobs on
// this machine's Docker Engine with its SSH gateway on, three accounts (ada and bob, members of
// the project; root, an administrator) each with a key of their own, and a job whose step fails
// after leaving a file, WHEN ada reruns the job with SSH in Chromium and people connect with
// Debian's OpenSSH, THEN the job page shows the `ssh` line and the builder's host key; ada and the
// administrator get in, land in the working directory as the job's user and read the file, scp
// copies it out, bob's key is refused; the sessions are audited; and the job ends once nobody is
// connected for the idle window, failed as before.

const IDLE_SECONDS = 15;
const CONFIG = `version: 2.1
jobs:
  debug:
    docker:
      - image: ${settingsFrom({}).images.baseDebian}
        user: nobody
    working_directory: /tmp/project
    steps:
      - run:
          name: fails after leaving a report
          command: echo "left by the failed step" > report.txt && exit 1
workflows:
  main:
    jobs: [debug]
`;
const PASSWORDS = { ada: 'correct horse battery', bob: 'another long password', root: 'the admin password' };

let gyre: ServicesUnderTest;
let git: GitServer;
let db: Database;
let agent: Agent;
let browser: Browser;
let project: { repo: string; projectId: number };
const openssh = new OpenSshClient(() => sshPort);
let sshPort = 0;

function tokenOf(login: keyof typeof PASSWORDS): Promise<string> {
  return accountToken(gyre.base, login, PASSWORDS[login]);
}

function as(token: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gyre.base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

/** The public half of the ECDSA fixture, as `ssh-keygen -y` prints it. */
function ecdsaPublicKey(): string {
  const key = ssh2.utils.parseKey(sshKeyText('ecdsa.key'));
  if (key instanceof Error || Array.isArray(key)) throw new Error('the ECDSA fixture does not parse');
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

beforeAll(async () => {
  [gyre, git] = await Promise.all([
    startServicesUnderTest({ settings: { GYRE_SSH_IDLE: `${IDLE_SECONDS}s`, GYRE_SSH_MAX: '5m' } }),
    startGitServer(),
  ]);
  db = createDatabasePool(gyre.database.url, pino({ level: 'silent' }));
  await git.createRepo('app');
  const created = (await (
    await gyre.api('/api/v1/projects', { body: { name: 'acme/app', gitUrl: git.url('app') } })
  ).json()) as {
    id: number;
  };
  project = { repo: 'app', projectId: created.id };
  gyre.createAccount('ada', PASSWORDS.ada);
  gyre.createAccount('bob', PASSWORDS.bob);
  gyre.createAccount('root', PASSWORDS.root, { admin: true });
  for (const login of ['ada', 'bob'])
    await gyre.api(`/api/v1/projects/${created.id}/members/${login}`, { method: 'PUT', body: { role: 'member' } });
  agent = await startAgent(gyre.base, 'agent-ssh', {
    ...jobsMayReach(git.egressEntry),
    // Any free port: other agents of the suite may hold the default range's first ports.
    ssh: { first: 0, last: 0, host: '127.0.0.1' },
  });
  sshPort = (
    (await (await gyre.api('/api/v1/builders')).json()) as { items: { name: string; ssh?: { port: number } }[] }
  ).items.find((b) => b.name === 'agent-ssh')!.ssh!.port;
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  agent?.drain();
  await agent?.done;
  await browser?.close();
  await db?.end();
  openssh.remove();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

describe('SSH into builds', () => {
  it('reruns a failed job with SSH for its members and administrators only, audits the sessions, and ends it after the idle window', async () => {
    const pipeline = await pushAndTrigger(gyre, git, project, CONFIG);
    const [failed] = await waitForJobs(gyre, pipeline);
    const jobId = failed!.id;
    expect((await jobDetail(gyre, jobId)).message).toBe('step 1 `fails after leaving a report` exited with 1');

    // Nobody can connect without a key, nor through a token of no account: both are refused up front.
    const [ada, bob, root] = [await tokenOf('ada'), await tokenOf('bob'), await tokenOf('root')];
    const noKey = await as(ada, `/api/v1/jobs/${jobId}/rerun`, { ssh: true });
    expect(noKey.status).toBe(409);
    expect(((await noKey.json()) as { error: { code: string } }).error.code).toBe('no_ssh_keys');
    const noAccount = await gyre.api(`/api/v1/jobs/${jobId}/rerun`, { body: { ssh: true } });
    expect(noAccount.status).toBe(403);
    expect(((await noAccount.json()) as { error: { code: string } }).error.code).toBe('ssh_needs_account');
    for (const [token, key] of [
      [ada, sshKeyText('ed25519.pub')],
      [bob, sshKeyText('rsa-pem.pub')],
      [root, ecdsaPublicKey()],
    ] as const)
      expect((await as(token, '/api/v1/user/ssh-keys', { title: 'laptop', key })).status).toBe(201);

    // Ada reruns it with SSH from the job page, and the page shows how to connect
    const page = await newPage(browser, gyre.base);
    await page.goto('/login');
    await page.getByLabel('Login').fill('ada');
    await page.getByLabel('Password').fill(PASSWORDS.ada);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.goto(`/jobs/${jobId}`);
    await page.getByRole('button', { name: 'Rerun job with SSH' }).click();
    const held = await until(
      'the rerun to wait for SSH sessions after its failed step',
      async () => {
        const attempt = (await jobDetail(gyre, jobId)).attempts.at(-1)!;
        return attempt.attempt === 2 && attempt.ssh?.until ? attempt : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
    expect(held.ssh).toMatchObject({
      requestedBy: 'ada',
      command: `ssh -p ${sshPort} job-${jobId}@127.0.0.1`,
      connected: 0,
    });
    await page.reload();
    expect(await page.getByTestId('ssh-command').textContent()).toBe(`ssh -p ${sshPort} job-${jobId}@127.0.0.1`);
    expect(await page.getByTestId('ssh-host-key').textContent()).toBe(held.ssh!.hostKeyFingerprint);
    expect(await page.getByTestId('ssh-wait').textContent()).toContain('It keeps its slot meanwhile');
    await saveScreenshot(page, 'job-ssh-held');

    // A session held open keeps the job up while the others connect
    const user = `job-${jobId}`;
    const holding = openssh.ssh('ed25519.key', user, 'sleep 12');
    const landed = await openssh.ssh(
      'ed25519.key',
      user,
      'pwd && cat report.txt && echo "user=$(id -un) build=$CIRCLE_BUILD_NUM"',
    );
    expect(landed).toMatchObject({ status: 0, stderr: '' });
    expect(landed.stdout).toBe(`/tmp/project\nleft by the failed step\nuser=nobody build=${jobId}\n`);
    // The host key the builder offers is the one the page shows
    const folder = mkdtempSync(join(tmpdir(), 'gyre-ssh-into-builds-'));
    const scanned = await runProgram('ssh-keyscan', ['-p', String(sshPort), '-t', 'ed25519', '127.0.0.1']);
    writeFileSync(join(folder, 'host-keys'), scanned.stdout);
    const fingerprint = await runProgram('ssh-keygen', ['-l', '-f', join(folder, 'host-keys')]);
    expect(fingerprint.stdout.split(' ')[1]).toBe(held.ssh!.hostKeyFingerprint);
    const local = join(folder, 'report.txt');
    const copied = await runProgram('scp', [
      ...openssh.options('ed25519.key', '-P'),
      `${user}@127.0.0.1:report.txt`,
      local,
    ]);
    expect(copied.status).toBe(0);
    expect(readFileSync(local, 'utf8')).toBe('left by the failed step\n');
    const refused = await openssh.ssh('rsa-pem.key', user, 'cat report.txt');
    expect(refused.status).toBe(255);
    expect(refused.stderr).toContain('Permission denied (publickey)');
    expect(refused.stdout).toBe('');
    const admin = await openssh.ssh('ecdsa.key', user, 'exit 7');
    expect(admin.status).toBe(7);
    expect((await holding).status).toBe(0);

    // Nobody connected now: the job ends after the idle window, as it ended before
    const ended = await until(
      'the job to end after the idle window',
      async () => {
        const job = await jobDetail(gyre, jobId);
        return job.attempts.length === 2 && job.attempts[1]!.outcome !== null ? job : undefined;
      },
      { timeoutMs: (IDLE_SECONDS + 60) * 1000, intervalMs: 500 },
    );
    expect(ended.state).toBe('failed');
    expect(ended.attempts[1]!.outcome).toBe('failed');
    const log = await jobLog(gyre, jobId);
    expect(log).toContain(`The job stays up for SSH: ssh -p ${sshPort} ${user}@127.0.0.1`);
    expect(log).toContain(`Nobody was connected for ${IDLE_SECONDS}s: the job ends.`);

    // Each session's start and end is audited with the account, its key and the job
    const audited = await until(
      'the sessions to be audited',
      async () => {
        const { rows } = await db.query<{
          actor: string;
          action: string;
          detail: { fingerprint: string; what: string };
        }>(
          "SELECT actor, action, detail FROM audit_log WHERE target = $1 AND action LIKE 'job.ssh_session_%' ORDER BY id",
          [`job:${jobId}`],
        );
        return rows.filter((r) => r.action === 'job.ssh_session_ended').length >= 4 ? rows : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    const ed25519 = opensshFingerprints('ed25519.key').sha256;
    expect(audited).toEqual(
      expect.arrayContaining([
        {
          actor: 'user:ada',
          action: 'job.ssh_session_started',
          detail: expect.objectContaining({ fingerprint: ed25519, what: 'sleep 12' }),
        },
        {
          actor: 'user:ada',
          action: 'job.ssh_session_ended',
          detail: expect.objectContaining({ fingerprint: ed25519, what: 'sftp' }),
        },
        {
          actor: 'user:root',
          action: 'job.ssh_session_ended',
          detail: expect.objectContaining({ what: 'exit 7', exitCode: 7 }),
        },
      ]),
    );
    expect(audited.some((r) => r.actor === 'user:bob')).toBe(false);
    const rerun = await db.query<{ actor: string }>(
      "SELECT actor FROM audit_log WHERE action = 'job.rerun_with_ssh' AND target = $1",
      [`job:${jobId}`],
    );
    expect(rerun.rows).toEqual([{ actor: 'user:ada' }]);
  }, 300_000);
});
