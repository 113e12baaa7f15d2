/**
 * Row shapes of the pipelines table and their mapping to API objects.
 */
import type {
  ConfigProblem,
  PipelineError,
  PipelineState,
  PipelineSummary,
  PipelineTrigger,
} from '../../core/pipelines/pipeline-model.js';

export const PIPELINE_COLUMNS =
  'id, project_id, number, trigger, ref, branch, tag, sha, state, error, config_warnings, trigger_detail, created_at, updated_at';
export interface PipelineRow {
  id: string;
  project_id: string;
  number: number;
  trigger: PipelineTrigger;
  ref: string;
  branch: string | null;
  tag: string | null;
  sha: string;
  state: PipelineState;
  error: PipelineError | null;
  config_warnings: ConfigProblem[];
  trigger_detail: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

export function toPipelineSummary(row: PipelineRow): PipelineSummary {
  return {
    id: Number(row.id),
    projectId: Number(row.project_id),
    number: row.number,
    trigger: row.trigger,
    ref: row.ref,
    branch: row.branch,
    tag: row.tag,
    sha: row.sha,
    state: row.state,
    error: row.error,
    configWarnings: row.config_warnings,
    detail: row.trigger_detail,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
