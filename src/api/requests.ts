/**
 * The public HTTP API's requests, as schemas: path parameters, query strings and bodies of every
 * `/api/v1` route. The services box validates with them (every problem at once; unknown fields
 * refused), the OpenAPI document is generated from them, and clients build requests with them.
 */
import { z } from 'zod';
import { parseRepositoryFullName } from '../shared/repository-name.js';
import { MAX_PRIVATE_KEY_BYTES } from '../shared/ssh-keys.js';

/** A row id: path parameters and query values arrive as text. */
export const idSchema = z.coerce.number().int().min(1);
export const idParams = z.strictObject({ id: idSchema });

const pageLimit = z.coerce.number().int().min(1).max(200).default(50).describe('Items per page (1-200)');

/** The rules of a project's fields; the user UI's form checks the same ones. */
export const projectFields = {
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$/,
      'must be letters, digits and . _ / -, starting with a letter or digit, at most 100',
    )
    .describe('Unique name, usually owner/repository'),
  gitUrl: z
    .string()
    .min(1)
    .max(2000)
    .regex(
      /^(https?|ssh|git):\/\/|^[^@\s]+@[^:\s]+:/,
      'must be an https://, ssh://, git:// or scp-like git@host:path URL',
    )
    .describe('Clone URL (https://, ssh://, git:// or scp-like git@host:path)'),
  defaultBranch: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^\s~^:?*[\\]+$/, 'must be a branch name without spaces')
    .describe('Branch name without refs/heads/'),
  repository: z
    .string()
    .refine((name) => parseRepositoryFullName(name) !== undefined, 'must be a GitHub repository name: owner/name')
    .describe(
      'The GitHub repository (owner/name) whose webhook deliveries the project accepts and whose commits get statuses',
    ),
} as const;

const visibility = z
  .enum(['private', 'internal'])
  .describe('private: seen by its members and administrators; internal: by every signed-in account');

export const createProjectBody = z.strictObject({
  name: projectFields.name,
  gitUrl: projectFields.gitUrl,
  defaultBranch: projectFields.defaultBranch.optional(),
  visibility: visibility.optional().describe('@default private'),
  repository: projectFields.repository
    .optional()
    .describe('@default the owner/name of a github.com git URL; otherwise unlinked, and deliveries are refused'),
});
export type CreateProjectRequest = z.infer<typeof createProjectBody>;

export const updateProjectBody = z
  .strictObject({
    name: projectFields.name.optional(),
    gitUrl: projectFields.gitUrl.optional(),
    defaultBranch: projectFields.defaultBranch.optional(),
    visibility: visibility.optional(),
    buildForkPullRequests: z.boolean().optional().describe('Whether pull requests from forks start pipelines'),
    repository: projectFields.repository.nullable().optional().describe('null unlinks: every delivery is then refused'),
    passSecretsToForks: z
      .boolean()
      .optional()
      .describe(
        "Whether builds of pull requests from forks get the project's variables (their authors could print them)",
      ),
    autoCancelRedundant: z
      .boolean()
      .optional()
      .describe(
        "Whether a new pipeline on a branch other than the default one cancels the branch's earlier unfinished pipelines",
      ),
  })
  .refine((body) => Object.keys(body).length > 0, 'give at least one field to change');
export type UpdateProjectRequest = z.infer<typeof updateProjectBody>;

export const dockerInBuildsBody = z.strictObject({
  allowed: z
    .boolean()
    .describe(
      "Whether the project's jobs may use setup_remote_docker and the machine executor, on builders that offer them",
    ),
});
export type DockerInBuildsRequest = z.infer<typeof dockerInBuildsBody>;

export const projectPageQuery = z.strictObject({
  limit: pageLimit,
  after: z.coerce.number().int().min(0).optional().describe('The last id of the previous page'),
});

export const memberParams = z.strictObject({
  id: idSchema,
  login: z.string().min(1).max(39).describe("The account's login"),
});

export const memberBody = z.strictObject({
  role: z.enum(['viewer', 'member', 'maintainer']).describe('viewer < member < maintainer'),
});

export const variableParams = z.strictObject({
  id: idSchema,
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a variable name: letters, digits and _'),
});
export const variableBody = z.strictObject({
  // PostgreSQL text cannot hold NUL.
  value: z
    .string()
    .max(65_536)
    .refine((value) => !value.includes('\0'), 'must hold no NUL character'),
});

/** A project's repository credential: a token the maintainer gives, or a deploy key Gyre generates. */
export const gitCredentialBody = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('token'),
    token: z
      .string()
      .min(1)
      .max(4096)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces, as tokens are')
      .describe('An https access token with read access to the repository'),
    username: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^:\s]+$/, 'must hold no colon or space')
      .optional()
      .describe('The user name sent with the token. @default x-access-token (GitHub)'),
  }),
  z.strictObject({ kind: z.literal('deploy-key') }),
]);
export type GitCredentialRequest = z.infer<typeof gitCredentialBody>;

/** A project SSH key for `add_ssh_keys`; the store reads the key itself and lists every problem. */
export const sshKeyBody = z.strictObject({
  privateKey: z
    .string()
    .min(1)
    .max(MAX_PRIVATE_KEY_BYTES)
    .describe('The private key file, without a passphrase (OpenSSH or PEM; RSA, ECDSA or Ed25519)'),
  hostname: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .describe('The host the key is for, as in `github.com`; leave out for every host'),
});
export type SshKeyRequest = z.infer<typeof sshKeyBody>;

export const sshKeyParams = z.strictObject({
  id: idSchema,
  fingerprint: z
    .string()
    .min(1)
    .max(100)
    .describe('The MD5 (`ab:cd:…`) or SHA256 (`SHA256:…`, URL-encoded) fingerprint'),
});

export const pipelineListQuery = z.strictObject({
  limit: pageLimit,
  before: idSchema.optional().describe('The last id of the previous page'),
  branch: z.string().min(1).max(255).optional(),
});

/** A pipeline parameter's name, as the config declares it. */
export const PARAMETER_NAME = /^[A-Za-z][\w-]{0,127}$/;
export const PARAMETER_NAME_RULE = 'not a parameter name: a letter, then up to 127 letters, digits, _ or -';

/** Values for the config's pipeline parameters, as CircleCI's API takes them. */
export const pipelineParameters = z
  .record(z.string(), z.union([z.string().max(4096), z.number().finite(), z.boolean()]))
  .superRefine((values, ctx) => {
    const names = Object.keys(values);
    if (names.length > 100) ctx.addIssue({ code: 'custom', message: `at most 100 parameters, got ${names.length}` });
    for (const name of names)
      if (!PARAMETER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: PARAMETER_NAME_RULE });
  })
  .describe("Values for the config's `parameters:` (strings, numbers, booleans), as `<< pipeline.parameters.x >>`");
export type PipelineParameters = z.infer<typeof pipelineParameters>;

/**
 * A request body that may be left out: a POST without one reaches the route as null (Fastify's
 * empty body), which `.optional()` alone would refuse with 400.
 */
function optionalBody<T extends z.ZodType>(schema: T) {
  return schema.nullish();
}

/** An empty body triggers the project's default branch with the parameters' defaults. */
export const triggerBody = optionalBody(
  z.strictObject({ branch: z.string().min(1).max(255).optional(), parameters: pipelineParameters.optional() }),
);
export type TriggerRequest = z.infer<typeof triggerBody>;

export const rerunJobBody = optionalBody(
  z.strictObject({
    ssh: z
      .boolean()
      .optional()
      .describe(
        "Rerun with SSH: the job waits for SSH sessions after its steps (GYRE_SSH_IDLE, at most GYRE_SSH_MAX). Only your account and administrators connect, with the keys of the SSH keys page (or GitHub's, for GitHub accounts); the job's attempt shows the `ssh` command",
      ),
  }),
);

export type RerunJobRequest = z.infer<typeof rerunJobBody>;

export const scheduleParams = z.strictObject({
  id: idSchema,
  name: z
    .string()
    .regex(/^[A-Za-z0-9][\w .-]{0,99}$/, 'must be a schedule name: up to 100 letters, digits, spaces, _, . or -'),
});
export const scheduleBody = z.strictObject({
  cron: z.string().max(200).describe('Five crontab fields in UTC: minute hour day-of-month month day-of-week'),
  branch: z.string().min(1).max(255).optional().describe("@default the project's default branch"),
  parameters: pipelineParameters.optional(),
});
export type ScheduleRequest = z.infer<typeof scheduleBody>;

export const deliveryListQuery = z.strictObject({
  limit: pageLimit,
  before: idSchema.optional(),
  project: idSchema.optional(),
});

/** The webhook inbox's query: which project's secret signs the delivery. */
export const webhookQuery = z.object({
  project: idSchema.describe('The project whose secret signs the delivery; the project page shows the whole URL'),
});

export const logQuery = z.strictObject({
  attempt: z
    .string()
    .regex(/^(latest|all|[0-9]{1,9})$/, 'must be an attempt number, latest or all')
    .optional()
    .describe(
      'An attempt number, `latest` (the default) or `all` (every attempt, each after a `--- attempt N ---` line)',
    ),
});

export const testResultsQuery = z.strictObject({
  status: z
    .enum(['failed'])
    .optional()
    .describe('`failed`: only the failed and errored cases, with their messages. @default every case'),
  limit: pageLimit,
  after: z.coerce.number().int().min(0).optional().describe('The last id of the previous page'),
});
export type TestResultsRequest = z.infer<typeof testResultsQuery>;

export const logStreamQuery = z.strictObject({
  attempt: z
    .string()
    .regex(/^(latest|[0-9]{1,9})$/, 'must be an attempt number or latest')
    .optional()
    .describe('An attempt number or `latest` (the default)'),
});

export const drainBody = optionalBody(
  z.strictObject({
    deadlineSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
  }),
);
export type DrainBuilderRequest = z.infer<typeof drainBody>;

export const rotateJoinSecretBody = optionalBody(
  z.strictObject({
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .optional(),
  }),
);

export const createAccountBody = z.strictObject({
  login: z.string(),
  password: z.string(),
  admin: z.boolean().default(false),
});
export type CreateAccountRequest = z.input<typeof createAccountBody>;

export const setAdminBody = z.strictObject({ admin: z.boolean() });

export const signupSettingBody = z.strictObject({ signup: z.enum(['open', 'closed']) });

// --- Contexts and account groups (administrators) ----------------------------------------------

/** Context and group names: what CircleCI allows in `context:`, without spaces at the ends. */
const setName = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    'must be letters, digits and . _ -, starting with a letter or digit, at most 100',
  );

export const contextParams = z.strictObject({ name: setName.describe("The context's name, as `context:` names it") });
export const contextBody = z.strictObject({ name: setName.describe("The context's name, as `context:` names it") });
export const contextVariableParams = z.strictObject({
  name: setName,
  variable: variableParams.shape.name,
});
export const contextRestrictionsBody = z.strictObject({
  groups: z
    .array(setName)
    .max(100)
    .nullable()
    .describe('The groups whose members may use it; null: every account. An empty list: nobody'),
  projects: z
    .array(idSchema)
    .max(1000)
    .nullable()
    .describe('The ids of the projects that may use it; null: every project. An empty list: none'),
});
export type ContextRestrictionsRequest = z.infer<typeof contextRestrictionsBody>;

export const groupParams = z.strictObject({ name: setName.describe("The group's name") });
export const groupBody = z.strictObject({ name: setName.describe("The group's name") });
export const groupMemberParams = z.strictObject({ name: setName, login: memberParams.shape.login });

/** An artifact's address: the job, then the artifact's path as it is listed (`*`, slashes and all). */
export const artifactParams = z.strictObject({
  id: idSchema,
  '*': z.string().min(1).describe("The artifact's path, e.g. `reports/index.html`"),
});

// --- Orb store (administrators import; every account reads) ------------------------------------

const orbNamePart = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, - and _, starting with a letter or digit');

/** One orb version's address; `version` is a release, `major.minor.patch`. */
export const orbParams = z.strictObject({
  namespace: orbNamePart.describe('The namespace, as in `circleci` of `circleci/node@7.2.1`'),
  name: orbNamePart.describe('The name, as in `node`'),
  version: z
    .string()
    .regex(/^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/, 'must be a release version such as 7.2.1')
    .describe('The release version, as in `7.2.1`'),
});
export type OrbParams = z.infer<typeof orbParams>;

/** Orb text never holds NUL (PostgreSQL text cannot) and stays under the config limit of 1 MiB each. */
const orbText = z
  .string()
  .max(1024 * 1024)
  .refine((text) => !text.includes('\0'), 'must hold no NUL character');

/** An orb to import: its packed YAML, or its source tree (the orb development kit's `src/`), which Gyre packs. */
export const importOrbBody = z.union([
  z.strictObject({ yaml: orbText.describe('The packed orb, as `circleci orb pack` prints it') }),
  z.strictObject({
    files: z
      .record(
        z
          .string()
          .min(1)
          .max(512)
          .regex(/^[^\0]+$/),
        orbText,
      )
      .refine((files) => Object.keys(files).length <= 1000, 'holds at most 1000 files')
      .describe(
        "The files of the orb's src/ folder by path relative to it: `@orb.yml`, `commands/install.yml`, `scripts/install.sh`",
      ),
  }),
]);
export type ImportOrbRequest = z.infer<typeof importOrbBody>;

export const addSshKeyBody = z.strictObject({
  title: z.string().max(100).optional().describe("What the key is for; the key's comment when left out"),
  key: z.string().max(8192).describe('One line of a public key file, e.g. the whole of ~/.ssh/id_ed25519.pub'),
});
