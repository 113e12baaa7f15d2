/**
 * `GET /api/v1/github/check` (administrators' tokens): whether GitHub, as the admin console
 * configures it, answers and takes the commit status token. For `gyre doctor`; it calls GitHub,
 * so it is not for polling.
 */
import type { FastifyInstance } from 'fastify';
import { gitHubCheckResponse } from '../../../api/responses.js';
import { ADMIN_ONLY } from '../../http/access-policy.js';
import type { RuntimeSettings } from '../../stores/settings/runtime-settings.js';
import { checkGitHub } from './github-check.js';

export function registerGitHubCheckRoutes(
  app: FastifyInstance,
  deps: { readonly runtimeSettings: RuntimeSettings },
): void {
  app.get(
    '/api/v1/github/check',
    {
      config: ADMIN_ONLY,
      schema: {
        tags: ['github'],
        summary: "Check GitHub's API and the commit status token, as the admin console configures them",
        response: { 200: gitHubCheckResponse },
      },
    },
    async () => {
      const stored = await deps.runtimeSettings.get('github.app');
      const status = await deps.runtimeSettings.statusTarget();
      return checkGitHub(
        stored && { apiUrl: stored.apiUrl, ...(status !== undefined && { statusToken: status.token }) },
      );
    },
  );
}
