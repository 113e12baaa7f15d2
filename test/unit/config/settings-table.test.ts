import { describe, expect, it } from '@jest/globals';
import {
  metaOf,
  renderSettingsTable,
  replaceSettingsTable,
  secretSettingNames,
  settingNames,
} from '../../../src/config/index.js';
import { SETTINGS_TABLE_BEGIN, SETTINGS_TABLE_END } from '../../../src/config/settings-table.js';

describe('the settings table', () => {
  it('has one row per setting, in schema order, with its default', () => {
    const rows = renderSettingsTable()
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    expect(rows.map((row) => /^\| `([A-Z0-9_]+)`/.exec(row)?.[1])).toEqual(settingNames);
    expect(rows[0]).toBe(
      `| \`GYRE_HOSTNAME\` | \`localhost\` | services |  | ${metaOf('GYRE_HOSTNAME').description} |`,
    );
  });

  it('marks every secret as readable from _FILE', () => {
    const table = renderSettingsTable();
    for (const name of secretSettingNames)
      expect(table).toMatch(new RegExp(`\\| \`${name}\`[^|]* \\|[^\\n]*\\| yes \\(or \`_FILE\`\\) \\|`));
  });

  it('replaces only what lies between the markers', () => {
    const readme = `# Gyre\n\nintro\n\n${SETTINGS_TABLE_BEGIN}\n| stale |\n${SETTINGS_TABLE_END}\n\n## Tests\n`;
    expect(replaceSettingsTable(readme)).toBe(`# Gyre\n\nintro\n\n${renderSettingsTable()}\n\n## Tests\n`);
  });

  it('leaves an up-to-date README unchanged', () => {
    const readme = `before\n${renderSettingsTable()}\nafter`;
    expect(replaceSettingsTable(readme)).toBe(readme);
  });

  it.each([
    ['no markers', 'just text'],
    ['only the begin marker', `${SETTINGS_TABLE_BEGIN}\n| x |`],
    ['the markers in the wrong order', `${SETTINGS_TABLE_END}\n${SETTINGS_TABLE_BEGIN}`],
  ])('returns undefined for a README with %s', (_case, readme) => {
    expect(replaceSettingsTable(readme)).toBeUndefined();
  });
});
