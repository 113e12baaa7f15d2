import {
  DEFAULT_RESOURCE_CLASSES,
  parsePipelineConfig,
  type ConfigError,
  type ParseResult,
  type Job,
  type PipelineConfig,
  type WorkflowJob,
} from '../../../../../src/services/core/pipeline-config/index.js';

/** Parses with the default resource class table. */
export function parse(text: string): ParseResult {
  return parsePipelineConfig(text, { resourceClasses: DEFAULT_RESOURCE_CLASSES });
}

/** Parses text that must be valid, failing with its errors otherwise. */
export function parseValid(text: string): PipelineConfig {
  const result = parse(text);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${formatErrors(result.errors)}`);
  return result.config;
}

/** Parses text that must be invalid and returns its errors. */
export function parseErrors(text: string): readonly ConfigError[] {
  const result = parse(text);
  if (result.ok) throw new Error('expected errors, but the config parsed');
  return result.errors;
}

/** One line per error: `line:column path: message`, the form the fixtures use. */
export function formatErrors(errors: readonly ConfigError[]): string {
  return errors
    .map((e) => `${e.orb ? `${e.orb} ` : ''}${e.line}:${e.column} ${e.path || '(root)'}: ${e.message}`)
    .join('\n');
}

/** A minimal valid 2.1 config with the given job body lines, for focused tests. */
export function withJob(jobYaml: string): string {
  const indented = jobYaml
    .split('\n')
    .map((line) => (line === '' ? line : `    ${line}`))
    .join('\n');
  return `version: 2.1\njobs:\n  build:\n${indented}\nworkflows:\n  main:\n    jobs: [build]\n`;
}

/** The job a workflow job runs; undefined for an approval job. */
export function jobOf(workflowJob: WorkflowJob | undefined): Job | undefined {
  return workflowJob && 'job' in workflowJob ? workflowJob.job : undefined;
}
