/**
 * Whether a build is kept from the project's secrets (variables and contexts): a pull request's
 * head whose origin is not known to be the project's own repository is treated as a fork's, whose
 * author controls the code that runs, unless the project passes secrets to forks.
 */
export function withholdsSecrets(
  build: { readonly ref: string; readonly pullRequest: { readonly fromFork?: boolean } | null | undefined },
  passSecretsToForks: boolean,
): boolean {
  const pr = build.pullRequest;
  const untrusted = pr === null || pr === undefined ? build.ref.startsWith('refs/pull/') : pr.fromFork !== false;
  return untrusted && !passSecretsToForks;
}
