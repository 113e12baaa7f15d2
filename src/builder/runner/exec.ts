/**
 * Runs one process in a container with `docker exec`, streaming its output as it arrives.
 */
import { Writable } from 'node:stream';
import type Dockerode from 'dockerode';

/** docker-modem's demultiplexer; dockerode types `container.modem` as `any`. */
interface Demuxer {
  demuxStream(stream: NodeJS.ReadableStream, stdout: NodeJS.WritableStream, stderr: NodeJS.WritableStream): void;
}

/** One exec. */
export interface ExecRequest {
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  /** Called with each piece of stdout or stderr, in the order the engine sent them. */
  readonly onOutput?: (data: Buffer) => void;
}

/** Runs a process to its end and returns its exit code. */
export async function execInContainer(container: Dockerode.Container, request: ExecRequest): Promise<number> {
  const exec = await container.exec({
    Cmd: [...request.cmd],
    Env: [...(request.env ?? [])],
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  await demuxOutput(container, stream, request.onOutput ?? (() => undefined));
  return await exitCodeOf(exec);
}

/** Reads a multiplexed attach or exec stream to its end, passing on stdout and stderr as they come. */
export async function demuxOutput(
  container: Dockerode.Container,
  stream: NodeJS.ReadableStream,
  onOutput: (data: Buffer) => void,
): Promise<void> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      onOutput(chunk);
      done();
    },
  });
  await new Promise<void>((resolve, reject) => {
    (container.modem as Demuxer).demuxStream(stream, sink, sink);
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
}

/** The stream can end a moment before the engine records the exit, so wait briefly for it. */
async function exitCodeOf(exec: Dockerode.Exec): Promise<number> {
  for (let tries = 0; ; tries += 1) {
    const info = await exec.inspect();
    if (!info.Running || tries >= 100) return info.ExitCode ?? -1;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs a process and returns its output, for short probes. */
export async function execOutput(
  container: Dockerode.Container,
  cmd: readonly string[],
): Promise<{ exitCode: number; output: string }> {
  const chunks: Buffer[] = [];
  const exitCode = await execInContainer(container, { cmd, onOutput: (data) => chunks.push(data) });
  return { exitCode, output: Buffer.concat(chunks).toString('utf8') };
}
