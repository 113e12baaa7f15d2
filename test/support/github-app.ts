import { expect } from '@jest/globals';
import type { GitHubDouble } from './github-double.js';
import { TEST_SECRETS, type ServicesUnderTest } from './services-under-test.js';
import { WebClient } from './web-client.js';

/**
 * Sets the GitHub double as the services' GitHub app, as the built-in administrator does in the
 * admin console (base and API URL, OAuth client); returns that signed-in console client.
 */
export async function useGitHubDouble(gyre: ServicesUnderTest, github: GitHubDouble): Promise<WebClient> {
  const admin = new WebClient(gyre.services.addresses.admin.replace('0.0.0.0', '127.0.0.1'));
  await admin.submit('/login', '/login', { login: 'admin', password: TEST_SECRETS.GYRE_ADMIN_PASSWORD });
  const saved = await admin.submit('/settings', '/settings/github', {
    baseUrl: github.baseUrl,
    apiUrl: github.apiUrl,
    clientId: github.clientId,
    clientSecret: github.clientSecret,
  });
  expect(saved.status).toBe(303);
  return admin;
}
