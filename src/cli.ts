#!/usr/bin/env node
import { createProgram } from './cli/program.js';
import { exitCodeFor } from './cli/handle-errors.js';

try {
  await createProgram().parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}
