/**
 * Parsers for the value types that settings use. Each takes the raw text of an environment
 * variable, as dotenv or Docker hands it over, and produces a typed value or a message that
 * says what was expected.
 */
import { z } from 'zod';
import { BUILDER_NAME_PATTERN, BUILDER_NAME_RULE } from '../protocol/builder-name.js';
import { cronProblem } from '../shared/cron-slots.js';
import { parseDuration } from '../shared/durations.js';

const BINARY_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** Parses a Docker-style memory size ("4G", "512m", "4GiB", "1073741824") into bytes. */
export function parseMemorySize(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|b)?$/i.exec(text.trim());
  if (!match) return undefined;
  const factor = BINARY_UNITS[(match[2] ?? '').toLowerCase()]!;
  return Math.round(Number(match[1]) * factor);
}

/** Formats bytes in the largest binary unit that divides them exactly ("4G", "1536M"). */
export function formatMemorySize(bytes: number): string {
  if (bytes === 0) return '0';
  for (const unit of ['t', 'g', 'm', 'k'] as const) {
    const size = BINARY_UNITS[unit]!;
    if (bytes % size === 0) return `${bytes / size}${unit.toUpperCase()}`;
  }
  return String(bytes);
}

export { parseDuration, formatDuration } from '../shared/durations.js';

export const port = z
  .string()
  .regex(/^\d+$/, { error: 'must be a port number (1-65535)' })
  .transform(Number)
  .pipe(
    z
      .number()
      .int()
      .min(1, { error: 'must be a port number (1-65535)' })
      .max(65535, { error: 'must be a port number (1-65535)' }),
  );

export const wholeNumber = (min: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number of at least ${min}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { error: `must be a whole number of at least ${min}` }),
    );

export const cpuCount = z
  .string()
  .regex(/^\d+(\.\d+)?$/, { error: 'must be a number of CPUs such as 2 or 1.5 (0 means no limit)' })
  .transform(Number);

/** Docker refuses to start a container with a memory limit below 6 MiB. */
export const MIN_CONTAINER_MEMORY_BYTES = 6 * 1024 ** 2;

export const memorySize = z.string().transform((text, ctx) => {
  const bytes = parseMemorySize(text);
  if (bytes === undefined || bytes <= 0) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a memory size; use a number with a unit such as 4G, 512M or 8GiB`,
    });
    return z.NEVER;
  }
  // A bare "4" means 4 bytes, as in Docker; it is almost always a forgotten unit.
  if (bytes < MIN_CONTAINER_MEMORY_BYTES) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is ${bytes} bytes, below the 6M that Docker allows a container; add a unit such as 4G or 512M`,
    });
    return z.NEVER;
  }
  return bytes;
});

/** A size of files on disk, such as a log file's: "10M", "1G", or plain bytes. At least 1 KiB. */
export const fileSize = z.string().transform((text, ctx) => {
  const bytes = parseMemorySize(text);
  if (bytes === undefined || bytes < 1024) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a file size of at least 1K; use a number with a unit such as 10M or 1G`,
    });
    return z.NEVER;
  }
  return bytes;
});

/** A file size as above, or `off` (0): a limit that can be turned off. */
export const fileSizeOrOff = z.string().transform((text, ctx) => {
  if (text === 'off') return 0;
  const bytes = parseMemorySize(text);
  if (bytes === undefined || bytes < 1024) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a file size of at least 1K, nor off; use a number with a unit such as 10G, or off`,
    });
    return z.NEVER;
  }
  return bytes;
});

export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a duration; use a number with a unit such as 30m, 90s or 1h`,
    });
    return z.NEVER;
  }
  return ms;
});

/** A port range such as `64535-65535` (one port is a range of one), or `off`; `{ first, last }` or `off`. */
export const portRangeOrOff = z.string().transform((text, ctx) => {
  if (text === 'off') return 'off' as const;
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  const first = Number(match?.[1]);
  const last = Number(match?.[2] ?? match?.[1]);
  if (!match || first < 1 || last > 65535 || first > last) {
    ctx.addIssue({
      code: 'custom',
      message: `"${text}" is not a port range; write two ports between 1 and 65535, the lower first, such as 64535-65535 (or one port, or off)`,
    });
    return z.NEVER;
  }
  return { first, last };
});

export const httpUrl = z.string().refine((text) => /^https?:$/.test(URL.parse(text)?.protocol ?? ''), {
  error: 'must be an http:// or https:// URL',
});

export const postgresUrl = z.string().refine((text) => /^postgres(ql)?:$/.test(URL.parse(text)?.protocol ?? ''), {
  error: 'must be a postgres:// URL such as postgres://user:password@host:5432/gyre',
});

export const absolutePath = z.string().startsWith('/', { error: 'must be an absolute path' });

export const hostname = z.string().regex(/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/, {
  error: 'must be a host name or IP address, without scheme or port',
});

export const imageRef = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9._/:@-]*[a-z0-9])?$/i, { error: 'must be an image reference such as gyre/app:0.1.0' });

export const builderName = z.string().regex(BUILDER_NAME_PATTERN, { error: `must be ${BUILDER_NAME_RULE}` });

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'], {
  error: 'must be one of fatal, error, warn, info, debug, trace',
});

/** A secret of at least `minLength` characters, so a weak hand-written value is caught early. */
export const secret = (minLength: number) =>
  z.string().min(minLength, { error: `must be at least ${minLength} characters long` });

/** 32 random bytes, base64-encoded: the key that encrypts project secrets at rest. */
export const encryptionKey = z
  .string()
  .refine((text) => /^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, 'base64').length === 32, {
    error: 'must be 32 random bytes in base64 (44 characters)',
  });

/** One IP address or CIDR block (`10.0.0.0/8`, `fd00::/8`). */
const addressOrBlock = z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()]);
const isAddressOrBlock = (item: string): boolean => addressOrBlock.safeParse(item).success;
// All digits and dots is an address, never a name: 10.0.0.256 is a typo, not a host.
const isHostName = (item: string): boolean => !/^[\d.]+$/.test(item) && /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(item);

/** The trimmed, non-empty items of a comma-separated setting. */
const commaSeparated = (text: string): string[] =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

/**
 * A comma-separated list of host names, IP addresses and CIDR ranges (`git.internal,10.0.0.0/8`),
 * lowercased. Used by GYRE_GIT_ALLOWED_HOSTS.
 */
export const hostList = z
  .string()
  .transform((text) => commaSeparated(text.toLowerCase()))
  .refine((items) => items.every((item) => isAddressOrBlock(item) || isHostName(item)), {
    error: 'must be a comma-separated list of host names, IP addresses or CIDR ranges such as git.internal,10.0.0.0/8',
  });

export const addressList = z.string().transform((text, ctx) => {
  const items = commaSeparated(text);
  const bad = items.filter((item) => !isAddressOrBlock(item));
  if (bad.length > 0 || items.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message:
        bad.length > 0
          ? `${bad.map((b) => `"${b}"`).join(', ')} ${bad.length === 1 ? 'is not an IP address or CIDR block' : 'are not IP addresses or CIDR blocks'}; list addresses such as 10.0.0.2 or 10.0.0.0/8, separated by commas`
          : 'lists no address; give addresses such as 10.0.0.2 or 10.0.0.0/8, or leave it unset',
    });
    return z.NEVER;
  }
  return items;
});

/** One entry of the jobs' egress allow- or deny-list: an IPv4 address or block, on every port or on a range of them. */
export interface EgressEntry {
  /** `10.0.5.7` or `10.0.5.0/24`. */
  readonly block: string;
  /** TCP and UDP ports, inclusive; every port and protocol when absent. */
  readonly ports?: { readonly first: number; readonly last: number };
}

const EGRESS_ENTRY = /^([^:]+?)(?::(\d{1,5})(?:-(\d{1,5}))?)?$/;

function egressEntryOf(item: string): EgressEntry | undefined {
  const match = EGRESS_ENTRY.exec(item);
  if (!match || !(z.ipv4().safeParse(match[1]).success || z.cidrv4().safeParse(match[1]).success)) return undefined;
  if (match[2] === undefined) return { block: match[1]! };
  const first = Number(match[2]);
  const last = Number(match[3] ?? match[2]);
  if (first < 1 || last > 65535 || last < first) return undefined;
  return { block: match[1]!, ports: { first, last } };
}

/**
 * GYRE_EGRESS_ALLOW and GYRE_EGRESS_DENY: comma-separated IPv4 addresses or blocks, each on every
 * port or on a port range (`10.0.5.0/24`, `10.0.5.7:5432`, `10.0.6.0/24:8000-8999`). IPv4 only:
 * job networks are IPv4.
 */
export const egressAddressList = z.string().transform((text, ctx) => {
  const items = commaSeparated(text);
  const entries = items.map(egressEntryOf);
  const bad = items.filter((_, i) => entries[i] === undefined);
  if (bad.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `${bad.map((b) => `"${b}"`).join(', ')} ${bad.length === 1 ? 'is not' : 'are not'} an IPv4 address or block with an optional port or port range; write entries such as 10.0.5.0/24, 10.0.5.7:5432 or 10.0.6.0/24:8000-8999, separated by commas`,
    });
    return z.NEVER;
  }
  return entries as EgressEntry[];
});

/** Formats an allow- or deny-list back into its setting's text (what the builder stack hands the agent). */
export function formatEgressList(entries: readonly EgressEntry[]): string {
  return entries
    .map((e) =>
      e.ports ? `${e.block}:${e.ports.first}${e.ports.last === e.ports.first ? '' : `-${e.ports.last}`}` : e.block,
    )
    .join(',');
}

/** Where blobs live: the services box's data folder, or an S3 bucket and an optional key prefix. */
export type BlobStoreLocation =
  { readonly kind: 'file' } | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

const BLOB_STORE_RULE = 'must be "file", s3://bucket or s3://bucket/prefix';
const BACKUP_DESTINATION_RULE = 'must be "data" (GYRE_DATA_DIR/backups), s3://bucket or s3://bucket/prefix';
// S3's own bucket naming rule, so a typo is caught here rather than by the first upload.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
// Key prefix segments: no empty segment and no `.`/`..`, so the prefix names one folder.
const PREFIX_SEGMENT = /^(?!\.{1,2}$)[A-Za-z0-9._-]+$/;

/** `s3://bucket[/prefix]` (a trailing slash is dropped), or what is wrong with it, `rule` saying what else would do. */
function s3Location(text: string, rule: string): { bucket: string; prefix: string } | string {
  const match = /^s3:\/\/([^/]+)(?:\/(.*?))?\/?$/.exec(text);
  const [bucket, prefix = ''] = match ? [match[1]!, match[2]] : [];
  if (!bucket || !BUCKET_NAME.test(bucket))
    return match
      ? `"${bucket}" is not an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens); ${rule}`
      : rule;
  if (prefix !== '' && !prefix.split('/').every((segment) => PREFIX_SEGMENT.test(segment)))
    return `"${prefix}" is not a key prefix: use letters, digits, dots, hyphens and underscores in segments separated by single slashes`;
  return { bucket, prefix };
}

/** GYRE_BLOB_STORE: `file`, or `s3://bucket[/prefix]`. */
export const blobStoreLocation = z.string().transform((text, ctx): BlobStoreLocation => {
  const trimmed = text.trim();
  if (trimmed === 'file') return { kind: 'file' };
  const location = s3Location(trimmed, BLOB_STORE_RULE);
  if (typeof location === 'object') return { kind: 's3', ...location };
  ctx.addIssue({ code: 'custom', message: location });
  return z.NEVER;
});

/** A five-field crontab line, read in UTC. */
export const cron = z.string().transform((text, ctx) => {
  const problem = cronProblem(text);
  if (problem === undefined) return text.trim();
  ctx.addIssue({ code: 'custom', message: problem });
  return z.NEVER;
});

/** Where scheduled backups go: the services box's data volume, or an S3 bucket and key prefix. */
export type BackupDestination =
  { readonly kind: 'data' } | { readonly kind: 's3'; readonly bucket: string; readonly prefix: string };

/** GYRE_BACKUP_DESTINATION: `data`, or `s3://bucket[/prefix]`. */
export const backupDestination = z.string().transform((text, ctx): BackupDestination => {
  const trimmed = text.trim();
  if (trimmed === 'data') return { kind: 'data' };
  const location = s3Location(trimmed, BACKUP_DESTINATION_RULE);
  if (typeof location === 'object') return { kind: 's3', ...location };
  ctx.addIssue({ code: 'custom', message: location });
  return z.NEVER;
});

/** A region name such as us-east-1 (S3-compatible servers often accept any, e.g. `garage`). */
export const region = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'must be a region name such as us-east-1' });

/** `true` or `false` (also yes/no, on/off, 1/0, in any case). */
export const boolean = z.string().transform((text, ctx) => {
  const word = text.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(word)) return true;
  if (['false', 'no', 'off', '0'].includes(word)) return false;
  ctx.addIssue({ code: 'custom', message: `"${text}" is not true or false` });
  return z.NEVER;
});
