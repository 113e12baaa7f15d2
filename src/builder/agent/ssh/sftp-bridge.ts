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

/** The most a READ answers at once; clients ask for 32 KiB to 256 KiB. */
const MAX_READ = 256 * 1024;

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
  listed: boolean;
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
  const statOf = async (paths: readonly string[]): Promise<Stat[]> =>
    parseStat(await shell(`stat -c "${STAT_FORMAT}" -- "$@"`, ...paths));
  /** Answers `request` with what `work` does; a failure is the client's "no such file" or "failure". */
  const answer = (reqId: number, work: () => Promise<void>) => {
    work().catch((error: unknown) => {
      const message = (error as Error).message;
      sftp.status(
        reqId,
        /No such file|not found|can't stat|cannot stat/i.test(message) ? STATUS_CODE.NO_SUCH_FILE : STATUS_CODE.FAILURE,
        message.split('\n')[0],
      );
    });
  };
  const handleOf = (handle: Buffer) => handles.get(handle.toString('utf8'));
  const newHandle = (entry: OpenFile | OpenDirectory) => {
    const id = randomUUID();
    handles.set(id, entry);
    return Buffer.from(id, 'utf8');
  };

  sftp.on('REALPATH', (reqId, path) => {
    const full = resolve(path);
    sftp.name(reqId, [{ filename: full, longname: full, attrs: {} as Attributes }]);
  });
  for (const event of ['STAT', 'LSTAT'] as const)
    sftp.on(event, (reqId: number, path: string) =>
      answer(reqId, async () => sftp.attrs(reqId, (await statOf([resolve(path)]))[0]!.attrs)),
    );
  sftp.on('OPEN', (reqId, filename, flags) =>
    answer(reqId, async () => {
      const path = resolve(filename);
      const writing = (flags & OPEN_MODE.WRITE) !== 0;
      const local = join(await scratchDir(), randomUUID());
      if (!writing || (flags & OPEN_MODE.TRUNC) === 0)
        await copyOut(containers, target.container, path, local, writing);
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
      const [found] = await statOf([full]);
      if (((found!.attrs.mode ?? 0) & 0o170000) !== 0o040000)
        return sftp.status(reqId, STATUS_CODE.FAILURE, `${full} is not a directory`);
      sftp.handle(reqId, newHandle({ kind: 'directory', path: full, listed: false }));
    }),
  );
  sftp.on('READDIR', (reqId, handle) =>
    answer(reqId, async () => {
      const dir = handleOf(handle);
      if (dir?.kind !== 'directory') return sftp.status(reqId, STATUS_CODE.FAILURE, 'not an open directory');
      if (dir.listed) return sftp.status(reqId, STATUS_CODE.EOF);
      dir.listed = true;
      const entries = parseStat(
        await shell(
          `cd -- "$1" && for f in * .[!.]* ..?*; do if [ -e "$f" ] || [ -L "$f" ]; then stat -c "${STAT_FORMAT}" -- "$f"; fi; done`,
          dir.path,
        ),
      ).map(({ name, attrs }) => ({ filename: name, longname: name, attrs }));
      if (entries.length === 0) return sftp.status(reqId, STATUS_CODE.EOF);
      sftp.name(reqId, entries);
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

/** The container's file at `path` into the local file `local` (empty when it is new and `creating`). */
async function copyOut(
  containers: ContainerClient,
  container: string,
  path: string,
  local: string,
  creating: boolean,
): Promise<void> {
  let tar;
  try {
    tar = await containers.getArchive(container, path);
  } catch (error) {
    if (creating && /404|No such|not found/i.test((error as Error).message)) {
      await (await open(local, 'w')).close();
      return;
    }
    throw error;
  }
  let copied = false;
  await eachEntry(tar, async (header, body) => {
    if (copied || header.type !== 'file') return;
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
  const writing = pipeline(createReadStream(local), entry);
  const putting = containers.putArchive(target.container, folder, nodeStream(tar));
  await writing;
  tar.finalize();
  await putting;
}
