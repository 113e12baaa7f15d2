/** Byte sizes for people to read, in log lines and messages. */

const KiB = 1024;
const MiB = 1024 * KiB;

/** A size for humans: whole MiB or KiB when it is one, bytes otherwise ("64 MiB", "1 KiB", "1500 bytes"). */
export function formatByteSize(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}
