/** Byte sizes for people to read, in log lines and messages. */

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** A size for humans: whole GiB, MiB or KiB when it is one, bytes otherwise ("10 GiB", "1 KiB", "1500 bytes"). */
export function formatByteSize(bytes: number): string {
  if (bytes >= GiB && bytes % GiB === 0) return `${bytes / GiB} GiB`;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

const ROUNDED_UNITS = ['KiB', 'MiB', 'GiB', 'TiB'] as const;

/**
 * A size for a list people scan, rounded: bytes under 1 KiB, else the largest unit it reaches,
 * with one decimal below 10 ("1.5 KiB", "12 MiB", "1 byte").
 */
export function formatRoundedByteSize(bytes: number): string {
  if (bytes < KiB) return bytes === 1 ? '1 byte' : `${bytes} bytes`;
  let value = bytes / KiB;
  let unit = 0;
  while (value >= 1024 && unit < ROUNDED_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${shown} ${ROUNDED_UNITS[unit]}`;
}
