/**
 * A helper container's stdin and stdout over TCP instead of the engine's attach stream, which
 * carries every byte through dockerd at a fraction of a socket's speed (docs/design/data-between-jobs.md).
 * The helper runs CHANNEL_SERVER in front of its command: it listens on its own address on its
 * network, takes one connection that starts with the token the builder gave it, and ties the
 * command's stdin and stdout to it. The builder connects (it shares the engine's host, so it
 * reaches containers' addresses), never the other way round: a job may not reach its builder.
 * A job on the same network that read the token (it shares the helper's PID namespace) could
 * connect first; it would then read or write only the files of its own job, as it may anyway.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The port the helper listens on, in its own network namespace. */
export const CHANNEL_PORT = 7780;

/** How long the builder tries to reach a started helper before it gives up on the channel. */
const CONNECT_WITHIN_MS = 5_000;

/**
 * Run by `node -e` in the helper, with the command as its arguments and the token in
 * GYRE_CHANNEL_TOKEN (removed from the command's environment). Half-open sockets, so the
 * builder's end of stdin does not end the command's stdout.
 */
export const CHANNEL_SERVER = `
const net = require('node:net');
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const token = Buffer.from(process.env.GYRE_CHANNEL_TOKEN + '\\n');
delete process.env.GYRE_CHANNEL_TOKEN;
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  let head = Buffer.alloc(0);
  socket.on('error', () => {});
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < token.length) return;
    socket.removeListener('data', onData);
    if (!head.subarray(0, token.length).equals(token)) return socket.destroy();
    server.close();
    socket.pause();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.on('error', () => {});
    const rest = head.subarray(token.length);
    if (rest.length > 0) child.stdin.write(rest);
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    child.on('exit', (code, signal) => { process.exitCode = code ?? 128; });
  };
  socket.on('data', onData);
});
server.listen(${CHANNEL_PORT});
`;

/**
 * Connects to a helper's channel and sends its token; undefined when the helper cannot be reached
 * within a few seconds (the builder does not share the engine's network: a remote engine, say).
 */
export async function openChannel(
  address: string,
  token: string,
  withinMs = CONNECT_WITHIN_MS,
): Promise<Socket | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const attempt = connect({ host: address, port: CHANNEL_PORT, allowHalfOpen: true, timeout: 1_000 });
      attempt.once('connect', () => {
        attempt.setTimeout(0);
        resolve(attempt);
      });
      attempt.once('timeout', () => attempt.destroy());
      attempt.once('error', () => resolve(undefined));
      attempt.once('close', () => resolve(undefined));
    });
    if (socket) {
      socket.write(`${token}\n`);
      return socket;
    }
    // Refused while the helper's node starts; tried again shortly.
    await sleep(50);
  }
  return undefined;
}
