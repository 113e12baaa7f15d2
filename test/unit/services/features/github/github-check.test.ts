import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { checkGitHub } from '../../../../../src/services/features/github/github-check.js';

// GIVEN a server answering as GitHub's API answers in the cases GitHub documents (an installation
// token's 403 on /user, a classic token's X-OAuth-Scopes) or as a failing proxy would (502),
// WHEN Gyre checks GitHub for `gyre doctor`, THEN each is judged as what it means.

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

/** A server answering `/` with `root` and `/user` with `user` (status and headers). */
async function gitHub(root: number, user: { status: number; scopes?: string }): Promise<string> {
  server = createServer((request, response) => {
    if (request.url === '/api/v3/') return void response.writeHead(root).end('{}');
    response
      .writeHead(user.status, {
        'content-type': 'application/json',
        ...(user.scopes !== undefined && { 'x-oauth-scopes': user.scopes }),
      })
      .end(
        JSON.stringify(
          user.status === 200 ? { login: 'gyre-bot' } : { message: 'Resource not accessible by integration' },
        ),
      );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
}

describe('checking GitHub for gyre doctor', () => {
  it('takes a server error at the root as GitHub not answering', async () => {
    const apiUrl = await gitHub(502, { status: 200 });
    expect(await checkGitHub({ apiUrl, statusToken: 't' })).toMatchObject({
      reachable: false,
      problem: `${apiUrl}/ answered 502`,
    });
  });

  it("takes an installation token's 403 on /user as valid, its permissions unknown", async () => {
    const apiUrl = await gitHub(200, { status: 403 });
    expect(await checkGitHub({ apiUrl, statusToken: 'ghs_x' })).toMatchObject({
      reachable: true,
      problem: null,
      statusToken: { valid: true, login: null, scopes: null, lacking: [] },
    });
  });

  it('says that public_repo reaches public repositories only', async () => {
    const apiUrl = await gitHub(200, { status: 200, scopes: 'public_repo, read:user' });
    expect(await checkGitHub({ apiUrl, statusToken: 'ghp_x' })).toMatchObject({
      problem:
        "the commit status token's scopes (public_repo, read:user) lack repo:status (public_repo reaches public repositories only)",
      statusToken: { valid: true, lacking: ['repo:status'] },
    });
  });

  it('passes a classic token with repo, and a fine-grained one (no scopes header)', async () => {
    const apiUrl = await gitHub(200, { status: 200, scopes: 'repo, workflow' });
    expect((await checkGitHub({ apiUrl, statusToken: 'ghp_x' })).statusToken).toEqual({
      valid: true,
      login: 'gyre-bot',
      scopes: ['repo', 'workflow'],
      lacking: [],
    });
    await new Promise<void>((resolve) => server!.close(() => resolve()));
    const fineGrained = await gitHub(200, { status: 200 });
    expect((await checkGitHub({ apiUrl: fineGrained, statusToken: 'github_pat_x' })).statusToken).toMatchObject({
      valid: true,
      scopes: null,
      lacking: [],
    });
  });
});
