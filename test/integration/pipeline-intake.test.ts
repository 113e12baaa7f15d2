import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startGitServer, type GitServer } from '../support/git-server.js';
import { deliverWebhook, EXAMPLE_REPOSITORY, pullRequestExample, pushPayloadFor } from '../support/github-examples.js';
import { startServicesUnderTest, type ServicesUnderTest } from '../support/services-under-test.js';
import { until } from '../support/until.js';

// GIVEN the services app on a real PostgreSQL and a project whose repository lives on a real
// git server; pushes reach Gyre as GitHub's own push payload, signed with the project's secret.
let gyre: ServicesUnderTest;
let git: GitServer;
let project: { id: number; webhookSecret: string };

const twoJobConfig = `version: 2.1
jobs:
  test:
    docker:
      - image: node:24
      - image: postgres:15
        name: db
        environment: { POSTGRES_PASSWORD: pw }
    steps:
      - checkout
      - run: npm test
  deploy:
    docker: [{ image: node:24 }]
    steps: [{ run: echo deploying << pipeline.git.revision >> }]
workflows:
  build-and-deploy:
    jobs:
      - test
      - deploy:
          requires: [test]
          filters: { branches: { only: main } }
`;

beforeAll(async () => {
  [gyre, git] = await Promise.all([startServicesUnderTest(), startGitServer()]);
  await git.createRepo('web');
  const created = await gyre.api('/api/v1/projects', {
    body: { name: 'acme/web', gitUrl: git.url('web'), repository: EXAMPLE_REPOSITORY },
  });
  project = (await created.json()) as typeof project;
}, 300_000);

afterAll(async () => {
  await Promise.all([gyre?.stop(), git?.stop()]);
}, 120_000);

/** GitHub's push example, re-aimed at our commit and branch. */
const pushPayload = (sha: string, branch: string, message?: string): Buffer =>
  pushPayloadFor(sha, { branch, ...(message !== undefined && { message }) });

const deliver = (
  body: Buffer,
  options: { deliveryId?: string; event?: string; secret?: string; projectId?: number } = {},
): Promise<Response> =>
  deliverWebhook(
    `${gyre.base}/webhooks/github?project=${options.projectId ?? project.id}`,
    body,
    options.secret ?? project.webhookSecret,
    options,
  );

interface PipelineView {
  id: number;
  number: number;
  ref: string;
  state: string;
  detail: Record<string, unknown>;
  error: { kind: string; message: string; errors: { line: number; column: number }[] } | null;
  configWarnings: { line: number; column: number; path: string; message: string }[];
}

async function settledPipeline(id: number): Promise<PipelineView> {
  return until(
    `pipeline ${id} to leave pending`,
    async () => {
      const pipeline = (await (await gyre.api(`/api/v1/pipelines/${id}`)).json()) as PipelineView;
      return pipeline.state !== 'pending' ? pipeline : undefined;
    },
    { intervalMs: 200 },
  );
}

describe('a signed push webhook', () => {
  it('creates a pipeline whose workflows and jobs match the config at the pushed commit', async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig, 'package.json': '{}' });
    const response = await deliver(pushPayload(sha, 'main'));
    expect(response.status).toBe(202);
    const { pipeline } = (await response.json()) as { pipeline: { id: number; number: number } };

    expect(await settledPipeline(pipeline.id)).toMatchObject({
      state: 'created',
      sha,
      branch: 'main',
      trigger: 'push',
      error: null,
    });
    // A new branch has no commit before it (GitHub sends zeros), so pipeline.git.base_revision is empty.
    expect((await settledPipeline(pipeline.id)).detail).not.toHaveProperty('before');
    const workflows = (await (await gyre.api(`/api/v1/pipelines/${pipeline.id}/workflows`)).json()) as {
      items: { name: string; jobs: { id: number; name: string; requires: string[]; state: string }[] }[];
    };
    expect(
      workflows.items.map((w) => ({ name: w.name, jobs: w.jobs.map((j) => [j.name, j.requires, j.state]) })),
    ).toEqual([
      {
        name: 'build-and-deploy',
        jobs: [
          ['test', [], 'queued'],
          ['deploy', ['test'], 'blocked'],
        ],
      },
    ]);
    const deploy = (await (await gyre.api(`/api/v1/jobs/${workflows.items[0]!.jobs[1]!.id}`)).json()) as {
      spec: unknown;
    };
    expect(JSON.stringify(deploy.spec)).toContain(`echo deploying ${sha}`);
  }, 120_000);

  it('creates exactly one pipeline when the same delivery arrives 100 times at once', async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig, 'src.txt': 'v2' });
    const body = pushPayload(sha, 'main');
    const deliveryId = randomUUID();
    const before = await pipelineCount();
    const responses = await Promise.all(Array.from({ length: 100 }, () => deliver(body, { deliveryId })));
    const answers = await Promise.all(
      responses.map(async (r) => ({ status: r.status, answer: (await r.json()) as Record<string, unknown> })),
    );
    // One delivery is stored and acted on; the 99 others are answered as its duplicates.
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toEqual([
      { status: 202, answer: { pipeline: { id: expect.any(Number), number: expect.any(Number), state: 'pending' } } },
    ]);
    const { pipeline } = accepted[0]!.answer as { pipeline: { id: number; number: number } };
    const stored = (
      (await (await gyre.api(`/api/v1/deliveries?project=${project.id}&limit=200`)).json()) as {
        items: { id: number; deliveryId: string; receivedAt: string }[];
      }
    ).items.filter((d) => d.deliveryId === deliveryId);
    expect(stored).toHaveLength(1);
    const delivery = {
      id: stored[0]!.id,
      deliveryId,
      event: 'push',
      projectId: project.id,
      receivedAt: stored[0]!.receivedAt,
    };
    // A duplicate shows that one stored delivery as it was when the duplicate arrived: received,
    // then with its pipeline, then with its outcome recorded.
    const states = [
      { ...delivery, outcome: 'received', outcomeDetail: null, statusCode: null, pipelineId: null },
      { ...delivery, outcome: 'received', outcomeDetail: null, statusCode: null, pipelineId: pipeline.id },
      {
        ...delivery,
        outcome: 'pipeline',
        outcomeDetail: `pipeline ${pipeline.number}`,
        statusCode: 202,
        pipelineId: pipeline.id,
      },
    ];
    const duplicates = answers.filter((a) => a.status !== 202);
    expect(duplicates).toHaveLength(99);
    for (const { status, answer } of duplicates) {
      const { duplicate, delivery: shown, ...others } = answer;
      expect({ status, duplicate, others }).toEqual({ status: 200, duplicate: true, others: {} });
      expect(states).toContainEqual(shown);
    }
    expect(await (await gyre.api(`/api/v1/deliveries/${delivery.id}`)).json()).toEqual(states[2]);
    expect(await pipelineCount()).toBe(before + 1);
  }, 120_000);

  it("does not show another project's delivery to a duplicate of its delivery id", async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig, 'dup.txt': randomUUID() });
    const deliveryId = randomUUID();
    expect((await deliver(pushPayload(sha, 'main'), { deliveryId })).status).toBe(202);
    const other = (await (
      await gyre.api('/api/v1/projects', {
        body: { name: 'acme/dup-other', gitUrl: git.url('web'), repository: EXAMPLE_REPOSITORY },
      })
    ).json()) as { id: number; webhookSecret: string };
    const copied = await deliver(pushPayload(sha, 'main'), {
      deliveryId,
      projectId: other.id,
      secret: other.webhookSecret,
    });
    expect(copied.status).toBe(409);
    // Nothing of the first delivery: no outcome, no pipeline, no project.
    expect(await copied.json()).toEqual({
      error: {
        code: 'duplicate_delivery',
        message: `delivery ${deliveryId} was already received for another project; GitHub gives every delivery its own X-GitHub-Delivery`,
      },
    });
  }, 60_000);

  it('gives an invalid config a pipeline in state error, with line and column', async () => {
    const { sha } = await git.push('web', {
      '.circleci/config.yml':
        'version: 2.1\njobs:\n  build:\n    macos: { xcode: 15.4.0 }\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n',
    });
    const { pipeline } = (await (await deliver(pushPayload(sha, 'main'))).json()) as { pipeline: { id: number } };
    const settled = await settledPipeline(pipeline.id);
    expect(settled.state).toBe('error');
    expect(settled.error).toMatchObject({ kind: 'config', message: expect.stringMatching(/line 4, column 5/) });
    expect(settled.error!.errors[0]).toMatchObject({ line: 4, column: 5 });
  }, 120_000);

  it("keeps the config's warnings and the commit before the push with a pipeline that runs regardless", async () => {
    const withPorts = twoJobConfig.replace('- image: node:24\n', "- image: node:24\n        ports: ['8080:80']\n");
    expect(withPorts).not.toBe(twoJobConfig);
    const before = (await git.push('web', { '.circleci/config.yml': twoJobConfig })).sha;
    const { sha } = await git.push('web', { '.circleci/config.yml': withPorts });
    const body = pushPayloadFor(sha, { branch: 'main', before });
    const { pipeline } = (await (await deliver(body)).json()) as { pipeline: { id: number } };
    const settled = await settledPipeline(pipeline.id);
    // GitHub's `before` is kept, for pipeline.git.base_revision.
    expect(settled).toMatchObject({ state: 'created', error: null, detail: { before } });
    expect(settled.configWarnings).toEqual([
      expect.objectContaining({ path: 'jobs.test.docker[0].ports', message: expect.stringContaining('ports') }),
    ]);
  }, 120_000);

  it('skips a push whose head commit says [skip ci], and records why', async () => {
    const { sha } = await git.push('web', { 'README.md': 'docs' });
    const deliveryId = randomUUID();
    const response = await deliver(pushPayload(sha, 'main', 'Fix typo [skip ci]'), { deliveryId });
    expect(response.status).toBe(200);
    const deliveries = (await (await gyre.api(`/api/v1/deliveries?project=${project.id}&limit=200`)).json()) as {
      items: { deliveryId: string; outcome: string; pipelineId: number | null }[];
    };
    expect(deliveries.items.find((d) => d.deliveryId === deliveryId)).toMatchObject({
      outcome: 'skipped',
      pipelineId: null,
    });
  }, 60_000);

  it('refuses a delivery signed with another secret, and stores nothing', async () => {
    const deliveryId = randomUUID();
    const response = await deliver(pushPayload('b'.repeat(40), 'main'), {
      deliveryId,
      secret: 'not-the-project-secret',
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_signature');
    const deliveries = (await (await gyre.api('/api/v1/deliveries?limit=200')).json()) as {
      items: { deliveryId: string }[];
    };
    expect(deliveries.items.map((d) => d.deliveryId)).not.toContain(deliveryId);
  });

  it('refuses a delivery that names no project before reading its body, and stores nothing', async () => {
    const deliveryId = randomUUID();
    const response = await deliverWebhook(
      `${gyre.base}/webhooks/github`,
      Buffer.alloc(25 * 1024 * 1024, 0x20),
      project.webhookSecret,
      { deliveryId },
    );
    expect({ status: response.status, body: await response.json() }).toEqual({
      status: 400,
      body: {
        error: {
          code: 'invalid_input',
          message: expect.stringContaining('the webhook URL'),
          details: [
            {
              input: 'project',
              message: 'must name the project, e.g. /webhooks/github?project=12',
              hint: "copy the webhook URL from the project's page into GitHub's webhook settings",
            },
          ],
        },
      },
    });
    const deliveries = (await (await gyre.api('/api/v1/deliveries?limit=200')).json()) as {
      items: { deliveryId: string }[];
    };
    expect(deliveries.items.map((d) => d.deliveryId)).not.toContain(deliveryId);
  }, 60_000);

  it('answers a body over 25 MB with 413', async () => {
    const response = await deliver(Buffer.alloc(25 * 1024 * 1024 + 1, 0x20));
    expect(response.status).toBe(413);
  }, 60_000);

  it('records an unreachable repository on the pipeline, and redelivery after the fix builds it', async () => {
    const broken = (await (
      await gyre.api('/api/v1/projects', {
        body: { name: 'acme/moved', gitUrl: 'git://127.0.0.1:1/moved.git', repository: EXAMPLE_REPOSITORY },
      })
    ).json()) as { id: number; webhookSecret: string };
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig, 'moved.txt': 'x' });
    const deliveryId = randomUUID();
    const first = (await (
      await deliver(pushPayload(sha, 'main'), { deliveryId, projectId: broken.id, secret: broken.webhookSecret })
    ).json()) as { pipeline: { id: number } };
    const failed = await settledPipeline(first.pipeline.id);
    expect(failed).toMatchObject({
      state: 'error',
      error: { kind: 'fetch', message: expect.stringContaining('127.0.0.1:1/moved.git') },
    });

    expect(
      (await gyre.api(`/api/v1/projects/${broken.id}`, { method: 'PATCH', body: { gitUrl: git.url('web') } })).status,
    ).toBe(200);
    const delivery = (
      (await (await gyre.api(`/api/v1/deliveries?project=${broken.id}`)).json()) as {
        items: { id: number; deliveryId: string }[];
      }
    ).items.find((d) => d.deliveryId === deliveryId)!;
    const again = await gyre.api(`/api/v1/deliveries/${delivery.id}/redeliver`, { method: 'POST' });
    expect(again.status).toBe(202);
    const second = (await again.json()) as { pipeline: { id: number; number: number } };
    expect(second.pipeline.number).toBe(2);
    expect(await settledPipeline(second.pipeline.id)).toMatchObject({ state: 'created', sha });
    expect(await (await gyre.api(`/api/v1/deliveries/${delivery.id}`)).json()).toMatchObject({
      outcome: 'pipeline',
      pipelineId: second.pipeline.id,
    });
  }, 120_000);

  it('builds an opened pull request at its head commit, with branch filters applied to the head branch', async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig }, { branch: 'feature/login' });
    const payload = pullRequestExample('opened');
    Object.assign(payload.pull_request.head, { sha, ref: 'feature/login' });
    payload.pull_request.head.repo = structuredClone(payload.repository);
    const response = await deliver(Buffer.from(JSON.stringify(payload)), { event: 'pull_request' });
    expect(response.status).toBe(202);
    const { pipeline } = (await response.json()) as { pipeline: { id: number } };
    expect(await settledPipeline(pipeline.id)).toMatchObject({
      state: 'created',
      trigger: 'pull_request',
      branch: 'feature/login',
      sha,
    });
    const workflows = (await (await gyre.api(`/api/v1/pipelines/${pipeline.id}/workflows`)).json()) as {
      items: { jobs: { name: string }[] }[];
    };
    // deploy runs on main only.
    expect(workflows.items[0]!.jobs.map((j) => j.name)).toEqual(['test']);
  }, 120_000);

  it('can be triggered through the API on a branch, resolved with git', async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig, 'api.txt': 'by hand' });
    const response = await gyre.api(`/api/v1/projects/${project.id}/pipelines`, { body: { branch: 'main' } });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: number; trigger: string };
    expect(created.trigger).toBe('api');
    // The branch resolves to the commit just pushed, whose config is valid.
    expect(await settledPipeline(created.id)).toMatchObject({
      state: 'created',
      trigger: 'api',
      branch: 'main',
      sha,
      error: null,
    });
    const missing = await gyre.api(`/api/v1/projects/${project.id}/pipelines`, { body: { branch: 'no-such-branch' } });
    expect(missing.status).toBe(400);
  }, 60_000);

  it('takes pipeline parameters through the API: they pick the workflow, and bad ones fail the pipeline or the request', async () => {
    const config = `version: 2.1
parameters:
  deploy: { type: boolean, default: false }
  target: { type: string, default: staging }
jobs:
  build:
    docker: [{ image: node:24 }]
    steps: [{ run: make }]
  deploy:
    docker: [{ image: node:24 }]
    steps: [{ run: ./deploy << pipeline.parameters.target >> }]
workflows:
  build:
    unless: << pipeline.parameters.deploy >>
    jobs: [build]
  deploy:
    when: << pipeline.parameters.deploy >>
    jobs: [deploy]
`;
    await git.push('web', { '.circleci/config.yml': config, 'params.txt': 'parameters' });
    const trigger = async (body: unknown): Promise<Response> =>
      gyre.api(`/api/v1/projects/${project.id}/pipelines`, { body });
    const workflowsOf = async (response: Response): Promise<string[]> => {
      const { id } = (await response.json()) as { id: number };
      expect(await settledPipeline(id)).toMatchObject({ state: 'created' });
      const listed = (await (await gyre.api(`/api/v1/pipelines/${id}/workflows`)).json()) as {
        items: { name: string; jobs: { name: string }[] }[];
      };
      return listed.items.map((w) => w.name);
    };
    expect(await workflowsOf(await trigger({ branch: 'main' }))).toEqual(['build']);
    const deploying = await trigger({ branch: 'main', parameters: { deploy: true, target: 'production' } });
    expect(deploying.status).toBe(201);
    const { id: deployId } = (await deploying.clone().json()) as { id: number };
    expect(await workflowsOf(deploying)).toEqual(['deploy']);
    // A rerun runs with the same parameters.
    expect(await workflowsOf(await gyre.api(`/api/v1/pipelines/${deployId}/rerun`, { method: 'POST' }))).toEqual([
      'deploy',
    ]);

    // A parameter the config does not declare, or of the wrong type, is a config error of that pipeline.
    const wrong = (await (await trigger({ parameters: { deploy: 'yes', region: 'eu' } })).json()) as { id: number };
    const failed = await settledPipeline(wrong.id);
    expect(failed.state).toBe('error');
    expect(failed.error?.errors.map((e) => (e as unknown as { message: string }).message).join('\n')).toMatch(
      /deploy[\s\S]*boolean[\s\S]*unknown parameter "region"; the pipeline declares: deploy, target/,
    );
    // A body the API cannot take is refused before any pipeline exists, naming the field.
    const refused = await trigger({ parameters: { 'not a name': 1, nested: { a: 1 } } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/parameters/);
  }, 60_000);

  it('reruns a pushed pipeline through the API: same commit and ref, planned again, keeping the repository for statuses', async () => {
    const { sha } = await git.push('web', { '.circleci/config.yml': twoJobConfig, 'rerun.txt': 'again' });
    const { pipeline } = (await (await deliver(pushPayload(sha, 'main'))).json()) as { pipeline: { id: number } };
    const first = await settledPipeline(pipeline.id);
    const response = await gyre.api(`/api/v1/pipelines/${pipeline.id}/rerun`, { method: 'POST' });
    expect(response.status).toBe(201);
    const rerun = (await response.json()) as PipelineView;
    expect(rerun).toMatchObject({
      sha,
      ref: first.ref,
      branch: 'main',
      trigger: 'api',
      detail: { rerunOf: pipeline.id, repository: first.detail['repository'] },
    });
    // Nothing else made a pipeline of this project in between.
    expect(rerun.number).toBe(first.number + 1);
    expect(await settledPipeline(rerun.id)).toMatchObject({ state: 'created' });
    expect((await gyre.api('/api/v1/pipelines/999999/rerun', { method: 'POST' })).status).toBe(404);
  }, 60_000);
});

async function pipelineCount(): Promise<number> {
  const page = (await (await gyre.api(`/api/v1/projects/${project.id}/pipelines?limit=200`)).json()) as {
    items: unknown[];
  };
  return page.items.length;
}
