/**
 * SFTP into a job's container, served by the agent so that job images need no sftp-server (and
 * `scp`, which speaks SFTP since OpenSSH 9, works too). Files move through the engine's archive
 * API and wait in a private temporary file of the agent while open: read whole when opened for
 * reading, written back whole when closed after writing. Names and attributes come from `stat`
 * run in the container, which every image with a shell has (coreutils or busybox). The archive
 * API and those commands run as the container's root, not the job's user: the session belongs to
 * someone allowed into the job anyway, and a job's user can usually sudo in its image.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import ssh2, { type Attributes, type SFTPWrapper } from 'ssh2';
import { pack } from 'tar-stream';
import type { ContainerClient } from '../../../docker/index.js';
import { eachEntry, nodeStream } from '../../../shared/tar-streams.js';

const { OPEN_MODE, STATUS_CODE } = ssh2.utils.sftp;

/** The most a READ answers at once: within OpenSSH's 256 KiB message limit with the header. */
const MAX_READ = 64 * 1024;
/**
 * The largest file moved either way: each open file waits whole in a temporary file on the
 * agent's disk, which jobs share. Copy bigger ones with `store_artifacts` or through a command.
 */
export const MAX_SFTP_FILE_BYTES = 1024 ** 3;
/** Open files and directories a session may hold at once. */
const MAX_HANDLES = 64;
/** Names per READDIR answer, well within OpenSSH's message limit. */
const NAMES_PER_READDIR = 100;

/** Where a session's SFTP requests land. */
export interface SftpTarget {
  readonly container: string;
  /** Relative paths and `.` are resolved against it. */
  readonly workdir: string;
}

interface OpenFile {
  readonly kind: 'file';
  readonly path: string;
  readonly local: string;
  readonly handle: FileHandle;
  readonly writing: boolean;
}

interface OpenDirectory {
  readonly kind: 'directory';
  readonly path: string;
  /** The names not yet answered; undefined until listed. */
  left?: { filename: string; longname: string; attrs: Attributes }[];
}

/** A name with its attributes, as `stat -c STAT_FORMAT` prints them. */
interface Stat {
  readonly name: string;
  readonly attrs: Attributes;
}

/** Raw mode in hex, size, owner, group, access and modification times, then the name. */
const STAT_FORMAT = '%f %s %u %g %X %Y %n';

function parseStat(out: string): Stat[] {
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [mode, size, uid, gid, atime, mtime, ...name] = line.split(' ');
      return {
        name: name.join(' '),
        attrs: {
          mode: parseInt(mode!, 16),
          size: Number(size),
          uid: Number(uid),
          gid: Number(gid),
          atime: Number(atime),
          mtime: Number(mtime),
        },
      };
    });
}

/** Serves SFTP requests on `sftp` for the session's target until the channel closes. */
export function serveSftp(sftp: SFTPWrapper, containers: ContainerClient, target: SftpTarget): void {
  const handles = new Map<string, OpenFile | OpenDirectory>();
  let scratch: Promise<string> | undefined;
  const scratchDir = () => (scratch ??= mkdtemp(join(tmpdir(), 'gyre-sftp-')));
  const resolve = (path: string) => posix.resolve(target.workdir, path || '.');
  const shell = (script: string, ...args: string[]) =>
    containers.execText(target.container, ['/bin/sh', '-c', script, 'sh', ...args]);
  /** `follow`: of what a symbolic link points to, as STAT (not LSTAT) asks. */
  const statOf = async (paths: readonly string[], follow = false): Promise<Stat[]> =>
    parseStat(await shell(`stat ${follow ? '-L ' : ''}-c "${STAT_FORMAT}" -- "$@"`, ...paths));
  /** Answers `request` with what `work` does; a failure is the client's "no such file" or "failure". */
  const answer = (reqId: number, work: () => Promise<void>) => {
    work().catch((error: unknown) => {
      const message = (error as Error).message;
      if (/No such file|not found|can't stat|cannot stat/i.test(message))
        return sftp.status(reqId, STATUS_CODE.NO_SUCH_FILE, 'No such file');
      // A command's own words, not the Docker host and container they ran in.
      sftp.status(reqId, STATUS_CODE.FAILURE, (/exited with \d+: (.*)$/s.exec(message)?.[1] ?? message).split('\n')[0]);
    });
  };
  const handleOf = (handle: Buffer) => handles.get(handle.toString('utf8'));
  const newHandle = (entry: OpenFile | OpenDirectory) => {
    if (handles.size >= MAX_HANDLES) throw new Error(`at most ${MAX_HANDLES} files and folders open at once`);
    const id = randomUUID();
    handles.set(id, entry);
    return Buffer.from(id, 'utf8');
  };

  sftp.on('REALPATH', (reqId, path) => {
    const full = resolve(path);
    sftp.name(reqId, [{ filename: full, longname: full, attrs: {} as Attributes }]);
  });
  sftp.on('STAT', (reqId, path) =>
    answer(reqId, async () => sftp.attrs(reqId, (await statOf([resolve(path)], true))[0]!.attrs)),
  );
  sftp.on('LSTAT', (reqId, path) =>
    answer(reqId, async () => sftp.attrs(reqId, (await statOf([resolve(path)]))[0]!.attrs)),
  );
  sftp.on('OPEN', (reqId, filename, flags) =>
    answer(reqId, async () => {
      const writing = (flags & OPEN_MODE.WRITE) !== 0;
      // What a link points to, and only a regular file within the size limit.
      const path =
        (await shell('readlink -f -- "$1" || printf %s "$1"', resolve(filename))).trim() || resolve(filename);
      const [found] = await statOf([path], true).catch((error: unknown) => {
        if (writing && (flags & OPEN_MODE.CREAT) !== 0) return [];
        throw error;
      });
      if (found && ((found.attrs.mode ?? 0) & 0o170000) !== 0o100000)
        return sftp.status(reqId, STATUS_CODE.FAILURE, `${path} is not a regular file`);
      if (found && (found.attrs.size ?? 0) > MAX_SFTP_FILE_BYTES)
        return sftp.status(
          reqId,
          STATUS_CODE.FAILURE,
          `${path} is larger than ${MAX_SFTP_FILE_BYTES} bytes, the most SFTP moves here`,
        );
      const local = join(await scratchDir(), randomUUID());
      if (found && (!writing || (flags & OPEN_MODE.TRUNC) === 0))
        await copyOut(containers, target.container, path, local);
      else await (await open(local, 'w')).close();
      const handle = await open(local, writing ? (flags & OPEN_MODE.TRUNC ? 'w+' : 'r+') : 'r');
      sftp.handle(reqId, newHandle({ kind: 'file', path, local, handle, writing }));
    }),
  );
  sftp.on('READ', (reqId, handle, offset, length) =>
    answer(reqId, async () => {
      const file = handleOf(handle);
      if (file?.kind !== 'file') return sftp.status(reqId, STATUS_CODE.FAILURE, 'not an open file');
      const buffer = Buffer.alloc(Math.min(length, MAX_READ));
      const { bytesRead } = await file.handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead === 0) return sftp.status(reqId, STATUS_CODE.EOF);
      sftp.data(reqId, buffer.subarray(0, bytesRead));
    }),
  );
  sftp.on('WRITE', (reqId, handle, offset, data) =>
    answer(reqId, async () => {
      const file = handleOf(handle);
      if (file?.kind !== 'file' || !file.writing)
        return sftp.status(reqId, STATUS_CODE.FAILURE, 'not open for writing');
      if (offset + data.length > MAX_SFTP_FILE_BYTES)
        return sftp.status(reqId, STATUS_CODE.FAILURE, `a file here may have at most ${MAX_SFTP_FILE_BYTES} bytes`);
      await file.handle.write(data, 0, data.length, offset);
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('FSTAT', (reqId, handle) =>
    answer(reqId, async () => {
      const file = handleOf(handle);
      if (file?.kind !== 'file') return sftp.status(reqId, STATUS_CODE.FAILURE, 'not an open file');
      const local = await file.handle.stat();
      sftp.attrs(reqId, {
        mode: 0o100644,
        size: local.size,
        uid: 0,
        gid: 0,
        atime: Math.floor(local.atimeMs / 1000),
        mtime: Math.floor(local.mtimeMs / 1000),
      });
    }),
  );
  // Modes and times are the container's business: accepted, and left as the copy made them.
  for (const event of ['SETSTAT', 'FSETSTAT'] as const)
    sftp.on(event, (reqId: number) => sftp.status(reqId, STATUS_CODE.OK));
  sftp.on('CLOSE', (reqId, handle) =>
    answer(reqId, async () => {
      const entry = handleOf(handle);
      handles.delete(handle.toString('utf8'));
      if (entry?.kind === 'file') {
        await entry.handle.close();
        try {
          if (entry.writing) await copyIn(containers, target, entry.path, entry.local);
        } finally {
          await rm(entry.local, { force: true });
        }
      }
      sftp.status(reqId, STATUS_CODE.OK);
    }),
  );
  sftp.on('OPENDIR', (reqId, path) =>
    answer(reqId, async () => {
      const full = resolve(path);
      const [found] = await statOf([full], true);
      if (((found!.attrs.mode ?? 0) & 0o170000) !== 0o040000)
        return sftp.status(reqId, STATUS_CODE.FAILURE, `${full} is not a directory`);
      sftp.handle(reqId, newHandle({ kind: 'directory', path: full }));
    }),
  );
  sftp.on('READDIR', (reqId, handle) =>
    answer(reqId, async () => {
      const dir = handleOf(handle);
      if (dir?.kind !== 'directory') return sftp.status(reqId, STATUS_CODE.FAILURE, 'not an open directory');
      dir.left ??= parseStat(
        await shell(
          `cd -- "$1" && for f in * .[!.]* ..?*; do if [ -e "$f" ] || [ -L "$f" ]; then stat -c "${STAT_FORMAT}" -- "$f"; fi; done`,
          dir.path,
        ),
      ).map(({ name, attrs }) => ({ filename: name, longname: name, attrs }));
      const page = dir.left.splice(0, NAMES_PER_READDIR);
      if (page.length === 0) return sftp.status(reqId, STATUS_CODE.EOF);
      sftp.name(reqId, page);
    }),
  );
  for (const event of ['REMOVE', 'RMDIR', 'MKDIR', 'RENAME', 'SYMLINK', 'READLINK'] as const)
    sftp.on(event, (reqId: number) => sftp.status(reqId, STATUS_CODE.OP_UNSUPPORTED, `${event} is not offered`));

  // The client is done (it sent EOF): answer with exit status 0 and close, as sshd does when its
  // sftp-server exits, or its ssh waits for the channel to close and scp then reports a failure.
  // ssh2's SFTP server has no exit(), so the status goes through its protocol object (ssh2 1.x).
  sftp.once('end', () => {
    const channel = sftp as unknown as {
      _protocol: { exitStatus(id: number, code: number): void };
      outgoing: { id: number };
    };
    channel._protocol.exitStatus(channel.outgoing.id, 0);
    sftp.end();
  });
  sftp.once('close', () => {
    for (const entry of handles.values()) if (entry.kind === 'file') void entry.handle.close().catch(() => undefined);
    void scratch?.then((dir) => rm(dir, { recursive: true, force: true }));
  });
}

/** The container's regular file at `path` into the local file `local`. */
async function copyOut(containers: ContainerClient, container: string, path: string, local: string): Promise<void> {
  const tar = await containers.getArchive(container, path);
  let copied = false;
  await eachEntry(tar, async (header, body) => {
    // The first entry is the file itself; anything else (it changed meanwhile) is refused.
    if (copied) return;
    if (header.type !== 'file' || header.name !== posix.basename(path))
      throw new Error(`${path} is not a regular file`);
    copied = true;
    await pipeline(body, createWriteStream(local, { mode: 0o600 }));
  });
  if (!copied) throw new Error(`${path} is not a regular file`);
}

/** The local file back into the container at `path`, owned as the folder it lands in. */
async function copyIn(containers: ContainerClient, target: SftpTarget, path: string, local: string): Promise<void> {
  const folder = posix.dirname(path);
  const owner = (await containers.execText(target.container, ['stat', '-c', '%u %g', folder])).trim().split(' ');
  const size = (await stat(local)).size;
  const tar = pack();
  const entry = tar.entry({
    name: posix.basename(path),
    size,
    mode: 0o644,
    uid: Number(owner[0]),
    gid: Number(owner[1]),
    mtime: new Date(),
  });
  const putting = containers.putArchive(target.container, folder, nodeStream(tar));
  const writing = pipeline(createReadStream(local), entry).then(
    () => tar.finalize(),
    (error: unknown) => {
      tar.destroy(error as Error);
      throw error;
    },
  );
  // Both awaited at once: an engine that refuses the upload must not be an unhandled rejection.
  await Promise.all([putting, writing]);
}
