/** The benches' image: small, and present on every machine that ran `gyre images build`. */
export const NO_OP_IMAGE = 'debian:bookworm-slim';

/** A pipeline config of `count` jobs in one workflow, each one `run: "true"` step in {@link NO_OP_IMAGE}. */
export function noOpPipeline(count: number): string {
  const names = Array.from({ length: count }, (_, i) => `noop-${i + 1}`);
  const jobs = names
    .map((name) => `  ${name}: { docker: [{ image: ${NO_OP_IMAGE} }], steps: [{ run: "true" }] }`)
    .join('\n');
  return `version: 2.1\njobs:\n${jobs}\nworkflows:\n  main:\n    jobs: [${names.join(', ')}]\n`;
}
