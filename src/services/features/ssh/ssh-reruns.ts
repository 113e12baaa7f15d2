/**
 * "Rerun job with SSH" on the services box: who may ask (a member with an account and a key to
 * connect with), what the lease and each heartbeat of such a job carry (the keys of the account
 * that asked and of every administrator, uploaded or, for GitHub accounts, GitHub's, and how long
 * the job waits for sessions after its steps), and what the builder reports back. See
 * docs/design/ssh-into-builds.md.
 */
import type { JobSsh, SshAccessKey, SshReport } from '../../../protocol/index.js';
import { ConflictError, ForbiddenError } from '../../../shared/errors.js';
import type { Requester } from '../../core/pipelines/pipeline-model.js';
import type { Database } from '../../database/create-pool.js';
import { sshAccessOf, uploadedAmong, type SshAccess } from '../../stores/accounts/ssh-access-keys.js';
import type { ProjectAccess } from '../../stores/projects/project-access.js';
import { allows } from '../../core/access/project-roles.js';
import type { SshAttempts } from '../../stores/jobs/ssh-attempts.js';
import type { GitHubSshKeys } from './github-ssh-keys.js';

export interface SshHoldSettings {
  /** GYRE_SSH_IDLE. */
  readonly idleMs: number;
  /** GYRE_SSH_MAX. */
  readonly maxMs: number;
}

/** How long a member who asked is taken to be one while their role reads as none (see isMember). */
const MEMBER_GRACE_MS = 5 * 60_000;

export class SshReruns {
  /** When each (job, account that asked) was last seen a member; forgotten once it is not. */
  readonly #lastMember = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly attempts: SshAttempts,
    private readonly github: Pick<GitHubSshKeys, 'keysOf'>,
    /** Whether the account that asked may still rerun the job (a member of its project). */
    private readonly roles: Pick<ProjectAccess, 'roleIn'>,
    private readonly hold: SshHoldSettings,
  ) {}

  /**
   * The account a rerun with SSH is for, once it is sure that person can connect: an account
   * (a token of its own counts), with a key Gyre knows. Refused with what to do otherwise.
   */
  async requesterFor(requester: Requester): Promise<number> {
    if (requester.userId === null)
      throw new ForbiddenError(
        'a rerun with SSH is for a person to connect to: sign in, or use an API token of your own account',
        'ssh_needs_account',
      );
    const access = await sshAccessOf(this.db, requester.userId);
    const own = access.accounts.filter((account) => account.id === requester.userId);
    if ((await this.keysOf({ ...access, accounts: own })).length === 0)
      throw new ConflictError(
        `you have no SSH key to connect with: add your public key on the SSH keys page (/ssh-keys) or through /api/v1/user/ssh-keys, then rerun with SSH${own[0]?.githubId != null ? ' (your GitHub keys count when GitHub lists some and can be reached)' : ''}`,
        'no_ssh_keys',
      );
    return requester.userId;
  }

  /** What the lease of this attempt of a rerun with SSH carries. */
  async leaseSsh(jobId: number, requesterId: number | null): Promise<JobSsh> {
    return {
      keys: [...(await this.keysFor(jobId, requesterId))],
      idleSeconds: Math.max(1, Math.round(this.hold.idleMs / 1000)),
      maxSeconds: Math.max(1, Math.round(this.hold.maxMs / 1000)),
    };
  }

  /** The keys allowed now into this attempt; undefined when it is not a rerun with SSH. */
  async keysForAttempt(jobId: number, attempt: number): Promise<readonly SshAccessKey[] | undefined> {
    const found = await this.attempts.of(jobId, attempt);
    return found === undefined ? undefined : this.keysFor(jobId, found.requestedBy);
  }

  record(builder: { readonly id: number; readonly name: string }, jobId: number, report: SshReport): Promise<void> {
    return this.attempts.record(builder, jobId, report);
  }

  /**
   * The keys of the administrators, and of the account that asked while it is still a member of
   * the job's project (removed from it, or gone, it connects no more).
   */
  private async keysFor(jobId: number, requesterId: number | null): Promise<readonly SshAccessKey[]> {
    const access = await sshAccessOf(this.db, requesterId);
    const requester = access.accounts.find((account) => account.id === requesterId);
    const requesterStays = requester !== undefined && (requester.admin || (await this.isMember(requester, jobId)));
    const accounts = access.accounts.filter((account) => account.admin || (requesterStays && account === requester));
    return this.keysOf({ ...access, accounts });
  }

  /**
   * Whether the account that asked is still a member of the job's project. A role that follows
   * GitHub reads as none while GitHub does not answer; so that an outage or a rate limit does not
   * cut the sessions, a member stays one for MEMBER_GRACE_MS after it was last seen as one (roles
   * that follow GitHub are cached that long anyway).
   */
  private async isMember(account: { id: number; login: string }, jobId: number): Promise<boolean> {
    const key = `${jobId}:${account.id}`;
    const role = await this.roles.roleIn({ userId: account.id, admin: false, name: account.login }, 'job', jobId);
    const now = Date.now();
    if (role !== undefined && allows(role, 'member')) {
      this.#lastMember.set(key, now);
      return true;
    }
    const last = this.#lastMember.get(key);
    if (last !== undefined && now - last < MEMBER_GRACE_MS) return true;
    this.#lastMember.delete(key);
    return false;
  }

  /**
   * The uploaded keys of `accounts`, then GitHub's keys of those that sign in with GitHub. A key is
   * one account's: a GitHub key that any account uploaded to Gyre is left out, so a session never
   * names the wrong person.
   */
  private async keysOf(access: SshAccess): Promise<readonly SshAccessKey[]> {
    const logins = new Set(access.accounts.map((account) => account.login));
    const keys = access.keys.filter((key) => logins.has(key.account));
    const fromGitHub = await Promise.all(
      access.accounts.flatMap((account) =>
        account.githubId === null
          ? []
          : [this.github.keysOf({ userId: account.id, githubId: account.githubId, login: account.login })],
      ),
    );
    const github = fromGitHub.flat();
    const seen = await uploadedAmong(
      this.db,
      github.map((key) => key.fingerprint),
    );
    for (const key of github) {
      if (seen.has(key.fingerprint)) continue;
      seen.add(key.fingerprint);
      keys.push(key);
    }
    return keys;
  }
}
