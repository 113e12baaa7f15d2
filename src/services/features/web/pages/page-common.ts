/**
 * What the user UI's pages share: the model every page passes to the layout, the route schema
 * of `/:id` pages, how a posted form is read, and who the audit log names.
 */
import type { FastifyRequest } from 'fastify';
import type { User } from '../../../stores/accounts/user-store.js';
import { AuthError } from '../../../http/error-shape.js';
import { userNav } from '../user-ui.js';
import type { Requester } from '../../../core/pipelines/pipeline-model.js';

export { idParams } from '../../../../api/requests.js';

/** Route types of a page about one thing. */
export interface IdRequest {
  Params: { id: number };
}

/** The layout's part of a page model: title, who is signed in, the navigation. */
export function pageModel(request: FastifyRequest, title: string, model: object): object {
  return { title, signedIn: request.signedIn, nav: userNav(request), ...model };
}

/** The signed-in account; pages behind a signed-in policy always have one on the user port. */
export function signedInUser(request: FastifyRequest): User {
  const user = request.signedIn?.user;
  if (!user) throw new AuthError(403, 'this page belongs to a user account; sign in with yours');
  return user;
}

/** The signed-in account, as the requester of a pipeline it starts. */
export function requesterOfPage(request: FastifyRequest): Requester {
  const user = signedInUser(request);
  return { name: user.login, userId: user.id };
}

/** `abcdef0` for a commit: enough to recognise it, short enough for a phone. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/**
 * A posted form's fields. The body parser gives one string per field, but a hand-made request
 * can send anything: text that is not a string reads as empty, a checkbox is on only when sent.
 */
export function postedForm(body: unknown): {
  /** The field as sent, spaces included. */
  raw(key: string): string;
  /** The field trimmed. */
  text(key: string): string;
  checked(key: string): boolean;
} {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const raw = (key: string) => (typeof fields[key] === 'string' ? fields[key] : '');
  return { raw, text: (key) => raw(key).trim(), checked: (key) => raw(key) !== '' };
}

/** Who the audit log names for a change made in the user UI: `user:<login>`. */
export function userActorOf(request: FastifyRequest): string {
  return `user:${signedInUser(request).login}`;
}

/** A job's name as pages show it: with its node, for one of a job's `parallelism` nodes. */
export function jobLabel(job: {
  readonly name: string;
  readonly nodeIndex: number;
  readonly nodeTotal: number;
}): string {
  return job.nodeTotal > 1 ? `${job.name} (${job.nodeIndex + 1}/${job.nodeTotal})` : job.name;
}
