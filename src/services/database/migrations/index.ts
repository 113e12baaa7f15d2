import { initialMigration } from './001-initial.js';
import { pipelineIntakeMigration } from './002-pipeline-intake.js';
import type { Migration } from './migration.js';

export type { Migration } from './migration.js';

/** Every migration, in order. */
export const migrations: readonly Migration[] = [initialMigration, pipelineIntakeMigration];
