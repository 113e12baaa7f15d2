/**
 * CircleCI's cache key templates: `{{ .Branch }}`, `{{ .Revision }}`, `{{ .BuildNum }}`,
 * `{{ .Environment.NAME }}`, `{{ checksum "file" }}`, `{{ epoch }}` and `{{ arch }}`, with any
 * spaces inside the braces. Parsed where the config is read, so a bad template is a config error
 * naming the step, and rendered on the builder, which alone has the files and the environment.
 */

/** One piece of a key: text as written, or a value the job fills in. */
export type KeyPart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'branch' | 'revision' | 'buildNum' | 'epoch' | 'arch' }
  | { readonly kind: 'environment'; readonly name: string }
  | { readonly kind: 'checksum'; readonly path: string };

/** What only the running job knows. */
export interface KeyFacts {
  readonly branch: string;
  readonly revision: string;
  readonly buildNum: string;
  readonly environment: Readonly<Record<string, string>>;
  /** The base64 SHA-256 of a file's contents, as CircleCI's `checksum` gives it. */
  checksum(path: string): Promise<string>;
  /** Seconds since 1970. */
  readonly epoch: number;
  /** `uname -m` of the primary container. */
  readonly machine: string;
}

const PLACEHOLDER = /\{\{(.*?)\}\}/g;
const SIMPLE: Readonly<Record<string, KeyPart['kind']>> = {
  '.Branch': 'branch',
  '.Revision': 'revision',
  '.BuildNum': 'buildNum',
  epoch: 'epoch',
  arch: 'arch',
};
const KNOWN = '.Branch, .Revision, .BuildNum, .Environment.NAME, checksum "file", epoch or arch';

/** The parts of a template, or the problems with it (each a sentence naming the placeholder). */
export function parseKeyTemplate(template: string): { parts: KeyPart[] } | { problems: string[] } {
  const parts: KeyPart[] = [];
  const problems: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push({ kind: 'text', text: template.slice(last, match.index) });
    last = match.index + match[0].length;
    const part = placeholder((match[1] ?? '').trim());
    if (part === undefined) problems.push(`{{${match[1]}}} is not a cache key template; use ${KNOWN}`);
    else parts.push(part);
  }
  const rest = template.slice(last);
  if (rest.includes('{{') || rest.includes('}}'))
    problems.push(`"${rest}" has unbalanced {{ }}; close each {{ with }}`);
  if (rest !== '') parts.push({ kind: 'text', text: rest });
  return problems.length > 0 ? { problems } : { parts };
}

function placeholder(inside: string): KeyPart | undefined {
  const simple = SIMPLE[inside];
  if (simple !== undefined) return { kind: simple } as KeyPart;
  const environment = /^\.Environment\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(inside);
  if (environment) return { kind: 'environment', name: environment[1]! };
  const checksum = /^checksum\s+"([^"]+)"$/.exec(inside);
  if (checksum) return { kind: 'checksum', path: checksum[1]! };
  return undefined;
}

/** The key with every placeholder filled in; an unset variable is empty, as in CircleCI. */
export async function renderKeyTemplate(parts: readonly KeyPart[], facts: KeyFacts): Promise<string> {
  const pieces: string[] = [];
  for (const part of parts) pieces.push(await render(part, facts));
  return pieces.join('');
}

async function render(part: KeyPart, facts: KeyFacts): Promise<string> {
  switch (part.kind) {
    case 'text':
      return part.text;
    case 'branch':
      return facts.branch;
    case 'revision':
      return facts.revision;
    case 'buildNum':
      return facts.buildNum;
    case 'epoch':
      return String(facts.epoch);
    case 'arch':
      return archOf(facts.machine);
    case 'environment':
      return facts.environment[part.name] ?? '';
    case 'checksum':
      return facts.checksum(part.path);
  }
}

/** CircleCI's `arch1-<os>-<cpu>` form, from `uname -m` (the CPU model suffix CircleCI adds is left out). */
function archOf(machine: string): string {
  const cpu = { x86_64: 'amd64', aarch64: 'arm64', arm64: 'arm64', i686: '386' }[machine] ?? machine;
  return `arch1-linux-${cpu}`;
}
