/**
 * A helper container's stdin and stdout over TCP instead of the engine's attach stream, which
 * carries every byte through dockerd (docs/design/data-between-jobs.md). The helper runs
 * CHANNEL_SERVER in front of its command: it listens on its own address on its network, takes the
 * one connection that starts with the token the builder gave it, and ties the command's stdin and
 * stdout to it. The builder connects (it shares the engine's host, so it reaches containers'
 * addresses), never the other way round: a job may not reach its builder. A job on the same
 * network that read the token (it shares the helper's PID namespace and uid) could connect first;
 * it would then read or write only its own job's files, as it may anyway.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** The port the helper listens on, in its own network namespace. */
export const CHANNEL_PORT = 7780;

/** How long the builder tries to reach a started helper before it gives up on the channel. */
const CONNECT_WITHIN_MS = 5_000;

/**
 * Run by `node -e` in the helper, with the command as its arguments and the token in
 * GYRE_CHANNEL_TOKEN (kept from the command's environment). Half-open sockets, so the builder's
 * end of stdin does not end the command's stdout. Other connections are dropped once the token
 * came, and any that does not send it within 10 s; the helper exits with the command's code once
 * the channel closed, or 10 s after the command ended if the builder does not close it.
 */
export const CHANNEL_SERVER = `
const net = require('node:net');
const { timingSafeEqual } = require('node:crypto');
const { spawn } = require('node:child_process');
const [command, ...args] = process.argv.slice(1);
const expected = process.env.GYRE_CHANNEL_TOKEN;
delete process.env.GYRE_CHANNEL_TOKEN;
if (!expected) {
  console.error('gyre helper: GYRE_CHANNEL_TOKEN is not set');
  process.exit(125);
}
const token = Buffer.from(expected + '\\n');
const waiting = new Set();
let taken = false;
const server = net.createServer({ allowHalfOpen: true }, (socket) => {
  if (taken) return socket.destroy();
  waiting.add(socket);
  socket.on('error', () => {});
  socket.on('close', () => waiting.delete(socket));
  socket.setTimeout(10000, () => socket.destroy());
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < token.length) return;
    socket.removeListener('data', onData);
    if (taken || !timingSafeEqual(head.subarray(0, token.length), token)) return socket.destroy();
    taken = true;
    socket.setTimeout(0);
    waiting.delete(socket);
    for (const other of waiting) other.destroy();
    server.close();
    socket.pause();
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    child.stdin.on('error', () => {});
    const rest = head.subarray(token.length);
    if (rest.length > 0) child.stdin.write(rest);
    socket.pipe(child.stdin);
    child.stdout.pipe(socket);
    child.on('error', (error) => {
      console.error('gyre helper: ' + error.message);
      process.exit(126);
    });
    child.on('close', (code) => {
      process.exitCode = code ?? 128;
      // Ends by itself once the channel closed; a builder that keeps it open gets 10 s.
      setTimeout(() => process.exit(), 10000).unref();
    });
  };
  socket.on('data', onData);
});
server.listen(${CHANNEL_PORT});
`;

/** A channel, or whether the helper's address answered at all (refused) when none opened. */
export interface OpenedChannel {
  readonly socket?: Socket;
  /** True when some try was refused: the address is reachable, the helper did not listen. */
  readonly reachable: boolean;
}

/**
 * Connects to a helper's channel and sends its token. Without a channel within `withinMs`, says
 * whether the address answered: a builder that is not on the engine's host never reaches it.
 */
export async function openChannel(
  address: string,
  token: string,
  withinMs = CONNECT_WITHIN_MS,
): Promise<OpenedChannel> {
  const deadline = Date.now() + withinMs;
  let reachable = false;
  while (Date.now() < deadline) {
    const tried = await new Promise<Socket | 'refused' | undefined>((resolve) => {
      const attempt = connect({ host: address, port: CHANNEL_PORT, allowHalfOpen: true, timeout: 1_000 });
      attempt.once('connect', () => {
        attempt.setTimeout(0);
        resolve(attempt);
      });
      attempt.once('timeout', () => attempt.destroy());
      attempt.once('error', (error: NodeJS.ErrnoException) =>
        resolve(error.code === 'ECONNREFUSED' ? 'refused' : undefined),
      );
      attempt.once('close', () => resolve(undefined));
    });
    if (tried === 'refused') reachable = true;
    else if (tried !== undefined) {
      tried.write(`${token}\n`);
      return { socket: tried, reachable: true };
    }
    // Refused while the helper's node starts; tried again shortly.
    await sleep(50);
  }
  return { reachable };
}
