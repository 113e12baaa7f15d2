import { loadSettings, type Settings, type SettingsPurpose } from '../../src/config/index.js';

/** Settings from a literal set of variables, as if read from a `.env` file. */
export function settingsFrom(
  values: Record<string, string>,
  purpose: SettingsPurpose = 'generate',
  files: Record<string, string> = {},
): Settings {
  return loadSettings(
    {
      name: 'test.env',
      values,
      readFile: (path) => {
        const text = files[path];
        if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
        return text;
      },
    },
    purpose,
  );
}
