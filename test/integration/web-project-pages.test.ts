import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newPage, saveScreenshot } from '../support/browser.js';
import { deliverWebhook, pushPayloadFor } from '../support/github-examples.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';

// GIVEN the real services app on a real PostgreSQL and Debian's Chromium: maya, who adds a project
// and so maintains it, and nico, who has no role in it yet, each in their own browser context.
// Every step is a form filled or a link or button clicked; the only requests made outside the
// browser are webhook deliveries, which GitHub would send.

const PASSWORD = 'correct-horse-battery';
const PROJECT = 'acme/browser-pages';
const REPOSITORY = 'acme/browser-pages';
const SECRET_VALUE = 'super-secret-deploy-token-9f3c';

let gyre: ServicesUnderTest;
let browser: Browser;
let maya: Page;
let nico: Page;
let projectPath: string;
let webhook: { url: string; secret: string };

async function signIn(page: Page, login: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
}

/** The links of the project's tabs, as the page shows them. */
const tabLabels = (page: Page) => page.locator('nav.tabs a').allTextContents();

beforeAll(async () => {
  [gyre, browser] = await Promise.all([startServicesUnderTest(), launchBrowser()]);
  gyre.createAccount('maya', PASSWORD);
  gyre.createAccount('nico', PASSWORD);
  [maya, nico] = await Promise.all([newPage(browser, gyre.base), newPage(browser, gyre.base)]);
  await Promise.all([signIn(maya, 'maya'), signIn(nico, 'nico')]);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await gyre?.stop();
}, 120_000);

describe("a project's pages in a real browser, each for the roles allowed", () => {
  it('1. maya adds a project and sees every page of it', async () => {
    await maya.getByRole('link', { name: 'Add project' }).click();
    await maya.getByLabel('Name').fill(PROJECT);
    await maya.getByLabel('Git URL').fill('https://git.example/acme/browser-pages.git');
    await maya.getByLabel('GitHub repository').fill(REPOSITORY);
    await maya.getByRole('button', { name: 'Add project' }).click();
    await maya.getByRole('heading', { name: `Added ${PROJECT}` }).waitFor();
    webhook = {
      url: (await maya.locator('dt:text-is("Payload URL") + dd').textContent())?.trim() ?? '',
      secret: (await maya.locator('dt:text-is("Secret") + dd').textContent())?.trim() ?? '',
    };
    await maya.getByRole('link', { name: 'Go to the project' }).click();
    await maya.getByRole('heading', { name: PROJECT }).waitFor();
    projectPath = new URL(maya.url()).pathname;
    expect(await tabLabels(maya)).toEqual(['Pipelines', 'Schedules', 'Members', 'Deliveries', 'Variables', 'Settings']);
    await saveScreenshot(maya, 'project-01-maintainer-tabs');
  }, 60_000);

  it('2. nico does not see the project until maya adds him as a viewer on the members page', async () => {
    await nico.goto('/');
    await nico.getByText('No projects yet.').waitFor();
    expect((await nico.goto(projectPath))?.status()).toBe(404);

    await maya.getByRole('link', { name: 'Members' }).click();
    await maya.getByRole('heading', { name: 'Members' }).waitFor();
    const add = maya.locator('#add-member');
    await add.getByLabel('Login').fill('nico');
    await add.getByLabel('Role').selectOption('viewer');
    await add.getByRole('button', { name: 'Add member' }).click();
    const row = maya.locator('#members tbody tr', { hasText: 'nico' });
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('viewer');
    await saveScreenshot(maya, 'project-02-member-added');

    await nico.goto('/');
    await nico.getByRole('link', { name: PROJECT }).click();
    await nico.getByRole('heading', { name: PROJECT }).waitFor();
    await saveScreenshot(nico, 'project-03-viewer-sees-project');
  }, 60_000);

  it('3. the viewer sees no settings or variables: no links, and the settings page answers 403', async () => {
    expect(await tabLabels(nico)).toEqual(['Pipelines', 'Schedules', 'Members', 'Deliveries']);
    await expect(nico.getByRole('link', { name: 'Settings' }).count()).resolves.toBe(0);
    await expect(nico.getByRole('link', { name: 'Variables' }).count()).resolves.toBe(0);
    await expect(nico.getByRole('button', { name: 'Trigger pipeline' }).count()).resolves.toBe(0);

    await nico.getByRole('link', { name: 'Members' }).click();
    await nico.locator('#members tbody tr', { hasText: 'maya' }).waitFor();
    await expect(nico.getByRole('button', { name: 'Add member' }).count()).resolves.toBe(0);

    for (const page of ['settings', 'variables']) {
      const answer = await nico.goto(`${projectPath}/${page}`);
      expect({ page, status: answer?.status() }).toEqual({ page, status: 403 });
      await nico.getByText('nico has the role viewer in this project; this needs maintainer or more').waitFor();
    }
    await saveScreenshot(nico, 'project-04-viewer-refused-settings');
  }, 60_000);

  it('4. maya sets a variable: the page shows its last characters, never the value', async () => {
    await maya.goto(projectPath);
    await maya.getByRole('link', { name: 'Variables' }).click();
    const form = maya.locator('#set-variable');
    await form.getByLabel('Name').fill('DEPLOY_TOKEN');
    await form.getByLabel('Value').fill(SECRET_VALUE);
    await form.getByRole('button', { name: 'Save variable' }).click();
    const row = maya.locator('#variables tbody tr', { hasText: 'DEPLOY_TOKEN' });
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe(`…${SECRET_VALUE.slice(-4)}`);
    expect(await maya.content()).not.toContain(SECRET_VALUE);
    await expect(form.getByLabel('Value').inputValue()).resolves.toBe('');
    await saveScreenshot(maya, 'project-05-variable-set');
  }, 60_000);

  it('5. maya changes settings, and a bad value is named without saving anything', async () => {
    await maya.getByRole('link', { name: 'Settings' }).click();
    await maya.getByLabel('Default branch').fill('has space');
    await maya.getByRole('button', { name: 'Save settings' }).click();
    await maya.getByText('Default branch: a branch name without spaces, e.g. main').waitFor();
    await expect(maya.getByLabel('Default branch').inputValue()).resolves.toBe('has space');
    await saveScreenshot(maya, 'project-06-settings-refused');

    await maya.getByLabel('Default branch').fill('develop');
    await maya.getByLabel('Visibility').selectOption('internal');
    await maya.getByLabel('Build pull requests from forks').uncheck();
    await maya.getByRole('button', { name: 'Save settings' }).click();
    await maya.getByText('Settings saved.').waitFor();
    await expect(maya.getByLabel('Build pull requests from forks').isChecked()).resolves.toBe(false);
    await saveScreenshot(maya, 'project-07-settings-saved');
    await maya.getByRole('link', { name: 'Pipelines' }).click();
    await expect(maya.locator('dt:text-is("Default branch") + dd').textContent()).resolves.toBe('develop');
    await expect(maya.locator('dt:text-is("Visibility") + dd').textContent()).resolves.toBe('internal');
  }, 60_000);

  it('6. maya sees the deliveries with their outcomes and redelivers one; nico sees them without the button', async () => {
    const ping = Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }));
    expect((await deliverWebhook(webhook.url, ping, webhook.secret, { event: 'ping' })).status).toBe(200);
    const foreign = pushPayloadFor('b'.repeat(40), { repository: { full_name: 'mallory/evil', name: 'evil' } });
    expect((await deliverWebhook(webhook.url, foreign, webhook.secret)).status).toBe(403);

    await maya.getByRole('link', { name: 'Deliveries' }).click();
    const rows = maya.locator('#deliveries tbody tr');
    await expect(rows.locator('.state').allTextContents()).resolves.toEqual(['refused', 'ping']);
    await maya.getByText('the delivery is from mallory/evil').waitFor();
    await rows.first().getByRole('button', { name: 'Redeliver' }).click();
    await maya.locator('[role=status]', { hasText: 'redelivered' }).locator('.state-refused').waitFor();
    await saveScreenshot(maya, 'project-08-deliveries-redelivered');

    await nico.goto(`${projectPath}/deliveries`);
    await expect(nico.locator('#deliveries tbody tr .state').allTextContents()).resolves.toEqual(['refused', 'ping']);
    await expect(nico.getByRole('button', { name: 'Redeliver' }).count()).resolves.toBe(0);
  }, 60_000);

  it('6b. maya adds a schedule, a bad cron line named without saving; nico sees it without the form', async () => {
    await maya.goto(projectPath);
    await maya.getByRole('link', { name: 'Schedules' }).click();
    await maya.getByRole('heading', { name: 'Schedules' }).waitFor();
    const form = maya.locator('#set-schedule');
    await form.getByLabel('Name').fill('nightly');
    await form.getByLabel('Cron (UTC)').fill('0 3 * *');
    await form.getByLabel('Parameters').fill('deploy=true\nregion="eu"');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await maya.getByText('Cron (UTC): "0 3 * *" has 4 fields; a schedule takes five').waitFor();
    // The form comes back as it was sent, and nothing was saved.
    await expect(form.getByLabel('Parameters').inputValue()).resolves.toBe('deploy=true\nregion="eu"');
    await maya.getByText('No schedules yet.').waitFor();

    await form.getByLabel('Cron (UTC)').fill('0 3 * * 1-5');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    const row = maya.locator('#schedules tbody tr', { hasText: 'nightly' });
    // The branch left empty is the project's default branch, which step 5 set to develop.
    expect((await row.locator('td').allTextContents()).map((text) => text.trim())).toEqual([
      'nightly',
      '0 3 * * 1-5',
      'develop',
      'deploy=true region="eu"',
      'not yet',
      'Remove',
    ]);
    await saveScreenshot(maya, 'project-09-schedules');

    await nico.goto(`${projectPath}/schedules`);
    await nico.locator('#schedules tbody tr', { hasText: 'nightly' }).waitFor();
    await expect(nico.locator('#set-schedule').count()).resolves.toBe(0);
    await expect(nico.getByRole('button', { name: 'Remove nightly' }).count()).resolves.toBe(0);

    await row.getByRole('button', { name: 'Remove nightly' }).click();
    await maya.getByText('No schedules yet.').waitFor();
  }, 60_000);

  it('7. maya deletes the project after confirming its name; nico no longer sees it', async () => {
    await maya.goto(`${projectPath}/settings`);
    await maya.getByRole('link', { name: 'Delete project…' }).click();
    await maya.getByLabel(/Type the project's name/).fill('acme/wrong');
    await maya.getByRole('button', { name: 'Delete this project' }).click();
    await maya.getByText(`Project name: type the project's name, ${PROJECT}, exactly, to delete it`).waitFor();
    await saveScreenshot(maya, 'project-09-delete-confirmation');
    await maya.getByLabel(/Type the project's name/).fill(PROJECT);
    await maya.getByRole('button', { name: 'Delete this project' }).click();
    await maya.waitForURL((url) => url.pathname === '/');
    await maya.getByText('No projects yet.').waitFor();
    await saveScreenshot(maya, 'project-10-deleted');
    expect((await nico.goto(projectPath))?.status()).toBe(404);
  }, 60_000);
});
