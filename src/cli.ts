#!/usr/bin/env node
// First, so that no module loads dockerode before the hook is in place.
import './docker/skip-buildkit-session.js';
import { createProgram } from './cli/program.js';
import { exitCodeFor } from './cli/handle-errors.js';

// A reader that stopped early (`gyre --help | head`) closes the pipe: nothing is left to say, so
// that ends the command quietly, as with other tools, instead of an unhandled EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

try {
  await (await createProgram(process.argv)).parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error);
}
