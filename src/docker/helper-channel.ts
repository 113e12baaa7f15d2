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
/** How long a helper that accepted the connection has to answer the token, at least. */
const READY_WITHIN_MS = 1_000;

/** What the helper says once it took the token; the command's stdout follows. */
export const CHANNEL_READY = 'ready\n';

/**
 * Run by `node -e` in the helper, with the command as its arguments and the token in
 * GYRE_CHANNEL_TOKEN (kept from the command's environment). Once the token came, it answers
 * CHANNEL_READY and hands the connection itself to the command as its stdin and stdout: the bytes
 * then pass between the socket and tar or zstd with no relay in between, which on a busy 2-core
 * builder cost as much CPU as zstd. The builder sends nothing past the token before it reads
 * CHANNEL_READY, and this process lets go of the connection in the same tick as it answers, so it
 * never reads a byte meant for the command. Other connections are dropped once the token came, and
 * any that does not send it within 10 s; the helper exits with the command's code.
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
    if (taken || head.length !== token.length || !timingSafeEqual(head, token)) return socket.destroy();
    taken = true;
    waiting.delete(socket);
    for (const other of waiting) other.destroy();
    server.close();
    socket.write(${JSON.stringify(CHANNEL_READY)});
    const child = spawn(command, args, { stdio: [socket, socket, 'inherit'] });
    socket.destroy();
    child.on('error', (error) => {
      console.error('gyre helper: ' + error.message);
      process.exit(126);
    });
    child.on('exit', (code) => process.exit(code ?? 128));
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
      if (await readyOn(tried, Math.max(deadline - Date.now(), READY_WITHIN_MS)))
        return { socket: tried, reachable: true };
      tried.destroy();
      // It answered but did not take the token: the channel is no use, the address is reachable.
      return { reachable: true };
    }
    // Refused while the helper's node starts; tried again shortly.
    await sleep(50);
  }
  return { reachable };
}

/**
 * Whether the helper answered CHANNEL_READY within `ms`. Whatever came after it (the command's
 * first output) is put back, and the socket is left paused for its reader.
 */
function readyOn(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let heard = Buffer.alloc(0);
    const done = (ready: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData).off('close', onClose).off('error', onClose);
      socket.pause();
      if (ready && heard.length > CHANNEL_READY.length) socket.unshift(heard.subarray(CHANNEL_READY.length));
      resolve(ready);
    };
    const onData = (chunk: Buffer) => {
      heard = Buffer.concat([heard, chunk]);
      if (heard.length < CHANNEL_READY.length) return;
      done(heard.subarray(0, CHANNEL_READY.length).toString('latin1') === CHANNEL_READY);
    };
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', onData).once('close', onClose).once('error', onClose);
  });
}
