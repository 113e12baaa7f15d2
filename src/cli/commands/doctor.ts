/**
 * `gyre doctor`: a checklist of a running install, each problem with its fix.
 */
import type { Command } from 'commander';
import { runDoctor } from '../../orchestrator/doctor/run-doctor.js';
import type { CheckStatus } from '../../orchestrator/doctor/doctor-checks.js';
import { ExitCode } from '../../shared/errors.js';
import {
  orchestratorSettings,
  stateFolderOf,
  tlsOf,
  withHostOptions,
  withStateFolderOptions,
  type HostFlags,
  type OrchestratorOptions,
} from '../orchestrator-options.js';
import { createOutput } from '../output.js';

const MARKS: Record<CheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export function registerDoctorCommand(program: Command): void {
  withHostOptions(withStateFolderOptions(program.command('doctor')), 'of the services stack')
    .description('Check a running install end to end and say how to fix each problem')
    .addHelpText(
      'after',
      `
Checks: the services and their database; free space of the data and database volumes; the
certificate the HTTPS listener serves (expired, or expiring within 30 days); builders (lost, none
taking jobs, another version than the services box); the clocks of the builders' hosts; that the
app can write its blob store; the age and verification of the last backup made from this folder.

Examples:
  $ gyre doctor
  $ gyre doctor --json | jq '.checks[] | select(.status == "fail")'
Exit codes: 0 nothing failed (warnings allowed), 1 a check failed, 3 the host is unreachable.`,
    )
    .action(async (options: OrchestratorOptions & HostFlags) => {
      const output = createOutput(options.json === true);
      const checks = await runDoctor({
        settings: orchestratorSettings(options, output),
        stateFolder: stateFolderOf(options),
        ...(options.host && { hostText: options.host }),
        tls: tlsOf(options),
      });
      const healthy = checks.every((c) => c.status !== 'fail');
      if (!healthy) process.exitCode = ExitCode.failure;
      if (output.jsonMode) return output.json({ healthy, checks });
      for (const c of checks) {
        output.info(`${MARKS[c.status]}  ${c.check}: ${c.detail}`);
        if (c.fix && c.status !== 'ok') output.info(`      fix: ${c.fix}`);
      }
      const failed = checks.filter((c) => c.status === 'fail').length;
      const warned = checks.filter((c) => c.status === 'warn').length;
      output.info(
        healthy
          ? `\nNothing failed${warned > 0 ? `; ${warned} warning(s)` : ''}.`
          : `\n${failed} check(s) failed${warned > 0 ? `, ${warned} warning(s)` : ''}.`,
      );
    });
}
