/**
 * The labels on everything the runner creates. Cleanup finds objects by these labels, never by
 * name, so a builder restarted after a crash can still find what its previous run left behind.
 */

/** The job id (protocol `jobId`) an object belongs to. */
export const LABEL_JOB = 'io.gyre.job';
/** The attempt of that job. */
export const LABEL_ATTEMPT = 'io.gyre.attempt';
/** The name of the builder that created the object. */
export const LABEL_BUILDER = 'io.gyre.builder';
/** Marks objects Gyre owns, so a filter on it never matches a user's own containers. */
export const LABEL_MANAGED = 'io.gyre.managed';

/** The labels of one job attempt's objects. */
export function jobLabels(jobId: number, attempt: number, builderName: string): Record<string, string> {
  return {
    [LABEL_JOB]: String(jobId),
    [LABEL_ATTEMPT]: String(attempt),
    [LABEL_BUILDER]: builderName,
    [LABEL_MANAGED]: 'true',
  };
}

/** A Docker list filter that matches Gyre's objects carrying every `label=value`. */
export function managedFilter(labels: Readonly<Record<string, string>>): string {
  return JSON.stringify({
    label: [`${LABEL_MANAGED}=true`, ...Object.entries(labels).map(([label, value]) => `${label}=${value}`)],
  });
}
