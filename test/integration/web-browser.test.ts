import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Agent } from '../../src/builder/agent/agent.js';
import { jobsMayReach, startAgent } from '../support/agent-under-test.js';
import { launchBrowser, newPage, saveScreenshot, VIEWPORTS } from '../support/browser.js';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverWebhook, EXAMPLE_REPOSITORY, pushPayloadFor } from '../support/github-examples.js';
import { startServicesUnderTest, TEST_SECRETS, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the real services app on a real PostgreSQL, a real git server, a real builder agent that
// runs jobs in containers on this Docker Engine, and Debian's Chromium driving the user UI and
// the admin console as a person would: every step is a form filled or a link or button clicked.
// The only request made outside the browser is the webhook delivery, which GitHub would send.

const REPO = 'webapp';
const BUILDER = 'browser-builder';
const USER = { login: 'alice', password: 'correct-horse-battery' };
const PROJECT_NAME = 'acme/webapp';

/** One job whose step prints a numbered line every second, so the live log can be watched. */
const slowConfig = (lines: number) => `version: 2.1
jobs:
  slow:
    docker: [{ image: debian:bookworm-slim }]
    steps:
      - checkout
      - run:
          name: count slowly
          command: for i in $(seq 1 ${lines}); do echo "line $i"; sleep 1; done
workflows:
  main: { jobs: [slow] }
`;

let gyre: ServicesUnderTest;
let git: GitServer;
let agent: Agent | undefined;
let browser: Browser;
let adminBase: string;
/** The signed-in user's page on the user UI (wide); later steps continue where earlier ones left it. */
let user: Page;
/** What the add-project page showed, once. */
let webhook: { url: string; secret: string };
let projectPath: string;
let firstJobPath: string;

beforeAll(async () => {
  [gyre, git, browser] = await Promise.all([
    startServicesUnderTest({ reapIntervalMs: 500 }),
    startGitServer(),
    launchBrowser(),
  ]);
  adminBase = gyre.services.addresses.admin.replace('0.0.0.0', '127.0.0.1');
  await git.createRepo(REPO);
  agent = await startAgent(gyre.base, BUILDER, jobsMayReach(git.egressEntry));
  user = await newPage(browser, gyre.base, 'wide');
}, 300_000);

afterAll(async () => {
  if (agent) {
    agent.drain();
    await agent.done;
  }
  await browser?.close();
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 180_000);

/** The URL job containers (and the services app) clone from: the host's address on the bridge. */
const gitUrl = () => git.url(REPO);

/** GitHub's push example re-aimed at our commit on main, signed with the secret the page showed, sent to the URL it showed. */
const deliverPush = (sha: string, message: string): Promise<Response> =>
  deliverWebhook(webhook.url, pushPayloadFor(sha, { message }), webhook.secret);

/** Reloads a page until `locator` is visible: for pages that do not update by themselves. */
async function reloadUntilVisible(page: Page, locator: Locator, timeoutMs: number): Promise<void> {
  let looks = 0;
  await until(
    `${locator.toString()} to show on ${page.url()}`,
    async () => {
      if (looks++ > 0) await page.reload();
      return locator.isVisible();
    },
    { timeoutMs, intervalMs: 1_000 },
  );
}

/** The document's width and the viewport's: a wider document means a horizontal scroll bar on a phone. */
async function overflow(page: Page): Promise<{ scrollWidth: number; viewportWidth: number }> {
  const scrollWidth = await page.evaluate<number>('document.documentElement.scrollWidth');
  const viewportWidth = await page.evaluate<number>('window.innerWidth');
  return { scrollWidth, viewportWidth };
}

/** The state badge in the builder's row of the admin fleet page (the row's second cell). */
const fleetState = (page: Page) => page.locator('tr', { hasText: BUILDER }).locator('td').nth(1).locator('.state');

describe('Gyre in a real browser: the first account to a drained builder', () => {
  it('1. the built-in admin creates the first account, an administrator, who signs in to the web UI', async () => {
    // A new install offers no sign-up.
    await user.goto('/login');
    await user.getByText('No account? Ask an administrator of this Gyre to create one.').waitFor();
    const adminPage = await newPage(browser, adminBase, 'wide');
    try {
      await adminPage.goto('/login');
      await adminPage.getByLabel('Login').fill('admin');
      await adminPage.getByLabel('Password').fill(TEST_SECRETS.GYRE_ADMIN_PASSWORD);
      await adminPage.getByRole('button', { name: 'Sign in' }).click();
      await adminPage.getByRole('link', { name: 'Accounts' }).click();
      const form = adminPage.locator('#new-account');
      await form.getByLabel('Login').fill(USER.login);
      await form.getByLabel(/^Password/).fill(USER.password);
      await form.getByLabel('Administrator').check();
      await form.getByRole('button', { name: 'Create account' }).click();
      await adminPage.locator('#accounts tr', { hasText: USER.login }).getByText('administrator').waitFor();
      await saveScreenshot(adminPage, 'web-01-admin-creates-account');
    } finally {
      await adminPage.context().close();
    }
    await user.getByLabel('Login').fill(USER.login);
    await user.getByLabel('Password').fill(USER.password);
    await user.getByRole('button', { name: 'Sign in' }).click();
    await user.waitForURL((url) => url.pathname === '/');
    await user.getByRole('heading', { name: 'Projects' }).waitFor();
    expect((await user.locator('header .who').textContent())?.trim()).toBe(`${USER.login} (admin)`);
  }, 60_000);

  it('2. adds a project through the form and is shown its webhook URL and secret once', async () => {
    await user.getByRole('link', { name: 'Add project' }).click();
    await user.waitForURL('**/projects/new');
    await user.getByLabel('Name').fill(PROJECT_NAME);
    await user.getByLabel('Git URL').fill(gitUrl());
    await user.getByLabel('Default branch').fill('main');
    await user.getByLabel('GitHub repository').fill(EXAMPLE_REPOSITORY);
    await user.getByRole('button', { name: 'Add project' }).click();
    await user.getByRole('heading', { name: `Added ${PROJECT_NAME}` }).waitFor();
    const url = (await user.locator('dt:text-is("Payload URL") + dd').textContent())?.trim() ?? '';
    const secret = (await user.locator('dt:text-is("Secret") + dd').textContent())?.trim() ?? '';
    expect(url).toMatch(/^http:\/\/[^/]+\/webhooks\/github\?project=\d+$/);
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    webhook = { url, secret };
    await saveScreenshot(user, 'web-02-project-created');
    await user.getByRole('link', { name: 'Go to the project' }).click();
    await user.getByRole('heading', { name: PROJECT_NAME }).waitFor();
    projectPath = new URL(user.url()).pathname;
    expect(projectPath).toMatch(/^\/projects\/\d+$/);
    await expect(user.locator('dt:text-is("Webhook URL") + dd').textContent()).resolves.toBe(webhook.url);
  }, 60_000);

  it('3. a signed push webhook starts a pipeline that the project page lists; its pipeline and job pages open', async () => {
    const { sha } = await git.push(REPO, { '.circleci/config.yml': slowConfig(15) }, { message: 'count slowly' });
    const delivered = await deliverPush(sha, 'count slowly');
    expect(delivered.status).toBe(202);

    await user.goto(projectPath);
    const pipelineLink = user.getByRole('link', { name: '#1', exact: true });
    await reloadUntilVisible(user, pipelineLink, 30_000);
    await expect(user.locator('tbody tr').first().locator('code').textContent()).resolves.toBe(sha.slice(0, 7));
    await pipelineLink.click();
    await user.getByRole('heading', { name: /^Pipeline #1/ }).waitFor();
    const jobLink = user.locator('a.job-box', { hasText: 'slow' });
    // The page draws again by itself once the config is read and the pipeline has its graph.
    await jobLink.waitFor({ timeout: 60_000 });
    await expect(user.locator('dt:text-is("Commit") + dd code').textContent()).resolves.toBe(sha.slice(0, 7));
    await saveScreenshot(user, 'web-03-pipeline');
    await jobLink.click();
    await user.getByRole('heading', { name: /^slow/ }).waitFor();
    firstJobPath = new URL(user.url()).pathname;
    expect(firstJobPath).toMatch(/^\/jobs\/\d+$/);
  }, 120_000);

  it('4. the job page follows the log live while the job runs, then shows success', async () => {
    const badge = user.locator('h1 .state');
    // The page reloads itself when the job leaves the queue, and its badge follows the job's state.
    await badge.filter({ hasText: /^running$/ }).waitFor({ timeout: 120_000 });
    await user.locator('#log').filter({ hasText: 'line 1' }).waitFor({ timeout: 60_000 });
    // At this moment the job is still running, both on the page and as the API sees it.
    const jobId = Number(firstJobPath.split('/').pop());
    const asApiSeesIt = (await (await gyre.api(`/api/v1/jobs/${jobId}`)).json()) as { state: string };
    expect(asApiSeesIt.state).toBe('running');
    expect(await badge.textContent()).toBe('running');
    expect(await user.locator('#log').textContent()).not.toContain('line 15');
    await expect(user.locator('#log-status').textContent()).resolves.toBe('Following the log live…');
    await user.locator('#log').filter({ hasText: 'line 3' }).waitFor({ timeout: 30_000 });
    await saveScreenshot(user, 'web-04-job-running-live-log');

    await badge.filter({ hasText: /^success$/ }).waitFor({ timeout: 120_000 });
    await user.locator('#log-status').filter({ hasText: 'The job has finished.' }).waitFor({ timeout: 30_000 });
    const log = (await user.locator('#log').textContent()) ?? '';
    expect(log).toContain('line 15');
    // Streamed once: the server-rendered text made way for the live copy, nothing doubled.
    expect(log.match(/^line 1$/gm)).toHaveLength(1);
    await saveScreenshot(user, 'web-05-job-success');
  }, 240_000);

  it('5. the built-in admin drains the builder from the admin console: draining while a job runs, then drained', async () => {
    // A second slow job gives the builder something to finish while it drains.
    const { sha } = await git.push(REPO, { '.circleci/config.yml': slowConfig(25) }, { message: 'count slowly again' });
    const delivered = await deliverPush(sha, 'count slowly again');
    expect(delivered.status).toBe(202);

    const admin = await newPage(browser, adminBase, 'wide');
    try {
      await admin.goto('/login');
      await admin.getByRole('heading', { name: 'Sign in to Gyre admin console' }).waitFor();
      await admin.getByLabel('Login').fill('admin');
      await admin.getByLabel('Password').fill(TEST_SECRETS.GYRE_ADMIN_PASSWORD);
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await admin.getByRole('heading', { name: 'Fleet' }).waitFor();
      expect((await admin.locator('header .who').textContent())?.trim()).toBe('admin');

      await admin.getByRole('link', { name: 'Fleet' }).click();
      const row = admin.locator('tr', { hasText: BUILDER });
      await row.waitFor();
      // Wait until the builder runs the second job, as the fleet page lists it.
      await reloadUntilVisible(admin, row.locator('td').nth(3).getByText('running', { exact: true }), 120_000);
      expect(await fleetState(admin).textContent()).toBe('active');

      await row.getByRole('button', { name: 'Drain', exact: true }).click();
      await admin.waitForURL((url) => url.pathname === '/fleet');
      await expect(fleetState(admin).textContent()).resolves.toBe('draining');
      await expect(row.locator('td').nth(3).textContent()).resolves.toMatch(/slow\s+running/);
      await row.getByRole('button', { name: 'Cancel drain' }).waitFor();
      await saveScreenshot(admin, 'web-06-admin-fleet-draining');

      await reloadUntilVisible(admin, fleetState(admin).filter({ hasText: /^drained$/ }), 120_000);
      await expect(row.locator('td').nth(3).textContent()).resolves.toBe('none');
      await saveScreenshot(admin, 'web-07-admin-fleet-drained');
      // A drained agent exits by itself.
      await expect(agent!.done).resolves.toMatchObject({ code: 0 });
      agent = undefined;

      await admin.getByRole('link', { name: 'Queue' }).click();
      await admin.getByRole('heading', { name: 'Queue' }).waitFor();
      await admin.getByText('No job is waiting.').waitFor();
      await saveScreenshot(admin, 'web-08-admin-queue');

      await admin.getByRole('link', { name: 'Settings' }).click();
      await admin.getByRole('heading', { name: 'Settings' }).waitFor();
      await admin.getByRole('heading', { name: 'Join secret' }).waitFor();
      await saveScreenshot(admin, 'web-09-admin-settings');

      await admin.getByRole('link', { name: 'Audit log' }).click();
      await admin.getByRole('heading', { name: 'Audit log' }).waitFor();
      const drainEntry = admin
        .locator('tbody tr', { hasText: 'admin:admin' })
        .filter({ hasText: BUILDER })
        .filter({ hasText: /drain/ });
      // The one drain the admin started, above.
      await expect(drainEntry.count()).resolves.toBe(1);
      await expect(drainEntry.locator('td').nth(2).textContent()).resolves.toBe('builder.drain');
      await saveScreenshot(admin, 'web-10-admin-audit');
    } finally {
      await admin.context().close();
    }
  }, 300_000);

  it('6. the builders and tokens pages of the user UI, and the job page on a narrow screen', async () => {
    await user.getByRole('link', { name: 'Builders' }).click();
    await user.getByRole('heading', { name: 'Builders' }).waitFor();
    await expect(user.locator('tr', { hasText: BUILDER }).locator('.state').textContent()).resolves.toBe('drained');
    await saveScreenshot(user, 'web-11-builders');

    await user.getByRole('link', { name: 'API tokens' }).click();
    await user.getByRole('heading', { name: 'API tokens' }).waitFor();
    await user.getByLabel('Name').fill('deploy script');
    await user.getByRole('button', { name: 'Create token' }).click();
    await user.getByRole('heading', { name: 'Token "deploy script" created' }).waitFor();
    await expect(user.locator('[role=status] .secret').textContent()).resolves.toMatch(/^gyre_pat_/);
    await saveScreenshot(user, 'web-12-tokens');

    const phone = await newPage(browser, gyre.base, 'narrow');
    try {
      await phone.goto(firstJobPath);
      // Signed out in this new context: the sign-in page sends the reader back to the job.
      await phone.getByLabel('Login').fill(USER.login);
      await phone.getByLabel('Password').fill(USER.password);
      await phone.getByRole('button', { name: 'Sign in', exact: true }).click();
      await phone.getByRole('heading', { name: /^slow/ }).waitFor();
      await phone.locator('#log').filter({ hasText: 'line 15' }).waitFor({ timeout: 30_000 });
      const measured = await overflow(phone);
      expect(measured.viewportWidth).toBe(VIEWPORTS.narrow.width);
      expect(measured.scrollWidth).toBeLessThanOrEqual(measured.viewportWidth);
      await saveScreenshot(phone, 'web-13-job-narrow');

      // The other pages a phone reader reaches from the job page fit too.
      const others: Record<string, number> = {};
      for (const path of [projectPath, '/builders', '/tokens']) {
        await phone.goto(path);
        others[path] = (await overflow(phone)).scrollWidth;
      }
      expect(Object.entries(others).filter(([, width]) => width > VIEWPORTS.narrow.width)).toEqual([]);
    } finally {
      await phone.context().close();
    }
  }, 120_000);

  it('7. a member triggers a pipeline from the project page with parameters, which pick its workflow', async () => {
    await git.push(REPO, {
      '.circleci/config.yml': `version: 2.1
parameters:
  release: { type: boolean, default: false }
  channel: { type: string, default: beta }
jobs:
  build:
    docker: [{ image: debian:bookworm-slim }]
    steps: [{ run: echo build }]
  publish:
    docker: [{ image: debian:bookworm-slim }]
    steps: [{ run: echo publish << pipeline.parameters.channel >> }]
workflows:
  build:
    unless: << pipeline.parameters.release >>
    jobs: [build]
  release:
    when: << pipeline.parameters.release >>
    jobs: [publish]
`,
    });
    await user.goto(projectPath);
    await user.getByLabel('Parameters').fill('release=true\nchannel="42"');
    await user.getByRole('button', { name: 'Trigger pipeline' }).click();
    await user.getByRole('heading', { name: /^Pipeline #\d+/ }).waitFor();
    await expect(user.locator('dt:text-is("Parameters") + dd').textContent()).resolves.toBe(
      'channel="42" release=true',
    );
    await user.locator('a.job-box', { hasText: 'publish' }).waitFor({ timeout: 60_000 });
    await expect(user.locator('section.workflow h2').allTextContents()).resolves.toEqual([
      expect.stringMatching(/^release /),
    ]);
    await saveScreenshot(user, 'web-14-triggered-with-parameters');

    // A line that is not name=value is refused with the form's name, the line and how to write it.
    await user.goto(projectPath);
    await user.getByLabel('Parameters').fill('release');
    await user.getByRole('button', { name: 'Trigger pipeline' }).click();
    await user.getByText('"release" is not name=value').waitFor();
  }, 120_000);

  it('8. a member approves an approval job on the pipeline page, which releases the job after it', async () => {
    await git.push(REPO, {
      '.circleci/config.yml': `version: 2.1
jobs:
  deploy:
    docker: [{ image: debian:bookworm-slim }]
    steps: [{ run: echo deploying }]
workflows:
  release:
    jobs:
      - hold: { type: approval }
      - deploy: { requires: [hold] }
`,
    });
    await user.goto(projectPath);
    await user.getByRole('button', { name: 'Trigger pipeline' }).click();
    await user.getByRole('heading', { name: /^Pipeline #\d+/ }).waitFor();
    const pipelinePath = new URL(user.url()).pathname;
    const approve = user.getByRole('button', { name: 'Approve' });
    await reloadUntilVisible(user, approve, 60_000);
    await expect(user.locator('div.approval').textContent()).resolves.toMatch(/Waiting for approval: hold/);
    await saveScreenshot(user, 'web-15-approval-on-hold');

    await approve.click();
    await user.getByRole('heading', { name: /^hold/ }).waitFor();
    await expect(user.locator('h1 .state').textContent()).resolves.toBe('success');
    await user.getByText('Approved by user:alice').waitFor();

    // The builder was drained in step 5, so deploy waits in the queue instead of running.
    await user.goto(pipelinePath);
    await expect(user.locator('a.job-box', { hasText: 'deploy' }).locator('.state').textContent()).resolves.toBe(
      'queued',
    );
  }, 120_000);

  it('9. a member cancels the pipeline, then reruns its workflow from failed: the canceled job waits again, the approval keeps its result', async () => {
    // The pipeline of step 8: hold approved, deploy queued (no builder takes it).
    await user.getByRole('button', { name: 'Cancel pipeline' }).click();
    const deployState = user.locator('a.job-box', { hasText: 'deploy' }).locator('.state');
    await expect(deployState.textContent()).resolves.toBe('canceled');
    const rerun = user.getByRole('button', { name: 'Rerun release from failed' });
    await rerun.waitFor();
    await saveScreenshot(user, 'web-16-rerun-from-failed');

    await rerun.click();
    await user.getByRole('heading', { name: /^Pipeline #\d+/ }).waitFor();
    await expect(deployState.textContent()).resolves.toBe('queued');
    // By its name: the deploy box says "needs hold" too.
    const holdBox = user.locator('a.job-box', { has: user.locator('.job-name', { hasText: /^hold$/ }) });
    await expect(holdBox.locator('.state').textContent()).resolves.toBe('success');
    await expect(user.locator('[data-workflow-id]').textContent()).resolves.toBe('running');
    await expect(rerun.count()).resolves.toBe(0);
  }, 120_000);
});
