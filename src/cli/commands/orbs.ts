/**
 * `gyre orbs`: the installation's orb store, through the API `gyre up` left in the state folder.
 * Configs behind a firewall cannot reach CircleCI's orb registry, so an administrator imports the
 * orbs they use: a packed orb file, or an orb's source folder, which Gyre packs as `circleci orb
 * pack` does. `pack` does the packing alone, offline.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { packOrb } from '../../services/core/orbs/pack-orb.js';
import { releaseOf } from '../../services/core/orbs/orb-versions.js';
import { InvalidInputError } from '../../shared/errors.js';
import { apiOf, stateFolderOf, withStateFolderOptions, type OrchestratorOptions } from '../orchestrator-options.js';
import { createOutput } from '../output.js';
import { readOrbSource } from '../read-orb-source.js';

const EXIT_CODES =
  'Exit codes: 0 done, 2 invalid input (every problem is listed), 3 the services box unreachable, 1 other failures.';

export function registerOrbsCommand(program: Command): void {
  const orbs = program
    .command('orbs')
    .description("Manage the installation's orb store: the orbs configs may name under `orbs:`")
    .addHelpText(
      'after',
      `
Configs name orbs as namespace/name@version. Gyre cannot reach CircleCI's orb registry, so it expands
only the versions imported here; @7.2 means the newest 7.2.x imported, @7 the newest 7.x. Import an
orb's dependencies (its own orbs:) first.

Examples:
  $ git clone --branch v7.2.1 https://github.com/CircleCI-Public/node-orb
  $ gyre orbs import circleci/node@7.2.1 ./node-orb
  $ gyre orbs import acme/deploy@1.0.0 deploy-orb.yml      # a packed orb (circleci orb pack src)
  $ gyre orbs list`,
    );

  withStateFolderOptions(orbs.command('list'))
    .description('Every imported orb version: reference, SHA-256, who imported it and when')
    .addHelpText('after', `\nExample:\n  $ gyre orbs list --json | jq -r '.[].ref'\n\n${EXIT_CODES}`)
    .action(async (flags: OrchestratorOptions) => {
      const output = createOutput(flags.json === true);
      const list = await apiOf(stateFolderOf(flags)).orbs();
      if (output.jsonMode) return output.json(list);
      if (list.length === 0) return output.info('No orbs imported. Import one with `gyre orbs import <ref> <path>`.');
      for (const orb of list)
        output.info(`${orb.ref}  sha256:${orb.sha256.slice(0, 12)}  ${orb.importedBy}  ${orb.importedAt}`);
    });

  withStateFolderOptions(orbs.command('import'))
    .argument('<ref>', 'the version to import it as: namespace/name@major.minor.patch')
    .argument('<path>', 'a packed orb file, an orb source folder (with src/@orb.yml), or - for packed YAML on stdin')
    .description('Import an orb version; importing the same text again changes nothing')
    .addHelpText(
      'after',
      `\nA version cannot change once imported: remove it first to replace it (configs naming it fail meanwhile).\n\n${EXIT_CODES}`,
    )
    .action(async (ref: string, path: string, flags: OrchestratorOptions) => {
      const output = createOutput(flags.json === true);
      const id = releaseOf(ref);
      if (path !== '-' && !existsSync(path))
        throw new InvalidInputError('the orb to import', [
          { input: path, message: 'does not exist', hint: 'give a packed orb file, an orb source folder, or -' },
        ]);
      const body =
        path !== '-' && statSync(path).isDirectory()
          ? { files: Object.fromEntries(await readOrbSource(path)) }
          : { yaml: readFileSync(path === '-' ? 0 : path, 'utf8') };
      const orb = await apiOf(stateFolderOf(flags)).importOrb(id, body);
      if (output.jsonMode) return output.json(orb);
      output.info(`Imported ${orb.ref} (sha256 ${orb.sha256}), by ${orb.importedBy} at ${orb.importedAt}.`);
    });

  withStateFolderOptions(orbs.command('remove'))
    .argument('<ref>', 'the version to remove: namespace/name@major.minor.patch')
    .description('Remove an orb version; configs that name it fail to plan until it is imported again')
    .addHelpText('after', `\n${EXIT_CODES}`)
    .action(async (ref: string, flags: OrchestratorOptions) => {
      const output = createOutput(flags.json === true);
      const id = releaseOf(ref);
      await apiOf(stateFolderOf(flags)).removeOrb(id);
      if (output.jsonMode) return output.json({ removed: ref });
      output.info(`Removed ${ref}.`);
    });

  orbs
    .command('pack')
    .argument('<folder>', 'an orb source folder in the orb development kit layout (src/@orb.yml, src/commands/...)')
    .description('Print the packed orb, as `circleci orb pack src` does, without contacting anything')
    .addHelpText('after', `\nExample:\n  $ gyre orbs pack ./node-orb > node-orb.yml\n\n${EXIT_CODES}`)
    .action(async (folder: string) => {
      const result = packOrb(await readOrbSource(folder));
      if (!result.ok)
        throw new InvalidInputError(
          `the orb source ${folder}`,
          result.problems.map((p) => ({ input: `src/${p.file}`, message: p.message })),
        );
      process.stdout.write(result.yaml);
    });
}
