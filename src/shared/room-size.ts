/** A builder's room for jobs (or a job's need) for people to read: "2 CPU / 4 GiB"; CPUs null: "unlimited CPU / 4 GiB". */
import { formatRoundedByteSize } from './byte-size.js';

export function formatRoomSize(room: { readonly cpus: number | null; readonly memoryBytes: number }): string {
  const cpus = room.cpus === null ? 'unlimited CPU' : `${Math.round(room.cpus * 100) / 100} CPU`;
  return `${cpus} / ${formatRoundedByteSize(room.memoryBytes)}`;
}
