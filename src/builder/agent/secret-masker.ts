/**
 * Replaces a job's secret values with `********` in its output, on the builder, before the output
 * is buffered, chunked or sent: the services box, its database and every reader only ever see the
 * mask.
 *
 * Output arrives in pieces of any size (a secret printed one character at a time, or straddling
 * two writes), so each step's stream holds back its last bytes while they could still be the
 * start of a secret, and passes them on once the next bytes show they are not, or when the step
 * ends. A multi-line secret (a key, say) is also masked line by line, as programs often print one
 * line of it, and a terminal turns its newlines into CRLF.
 *
 * Values shorter than 4 characters are not masked: masking `1` or `yes` everywhere would make logs
 * unreadable and would tell a reader the value anyway.
 */
export const MASK = '********';
const MIN_SECRET_LENGTH = 4;

export class SecretMasker {
  /** Longest first, so that of two secrets starting at the same byte the longer one is masked. */
  private readonly secrets: readonly Buffer[];
  private readonly longest: number;
  /** Per step: bytes held back because they could be the start of a secret. */
  private readonly held = new Map<number, Buffer>();

  constructor(values: Iterable<string>) {
    const unique = new Set<string>();
    for (const value of values)
      for (const part of [value, ...value.split(/\r?\n/)].map((v) => v.trim()))
        if (part.length >= MIN_SECRET_LENGTH) unique.add(part);
    this.secrets = [...unique].map((s) => Buffer.from(s, 'utf8')).sort((a, b) => b.length - a.length);
    this.longest = this.secrets[0]?.length ?? 0;
  }

  /** The part of `step`'s output that can be passed on now, with every secret in it masked. */
  write(step: number, data: Buffer): Buffer {
    if (this.secrets.length === 0) return data;
    const pending = Buffer.concat([this.held.get(step) ?? Buffer.alloc(0), data]);
    const { out, rest } = this.mask(pending, false);
    this.held.set(step, rest);
    return out;
  }

  /** What `step` still holds, masked: the step ended, so nothing more can complete a secret. */
  flush(step: number): Buffer {
    const rest = this.held.get(step);
    this.held.delete(step);
    if (!rest || rest.length === 0) return Buffer.alloc(0);
    return this.mask(rest, true).out;
  }

  /** What every step still holds, masked: the job is over. */
  flushAll(): [step: number, rest: Buffer][] {
    return [...this.held.keys()].map((step) => [step, this.flush(step)]);
  }

  /** Masks a whole text: a step's name, an error message. */
  text(value: string): string {
    if (this.secrets.length === 0) return value;
    return this.mask(Buffer.from(value, 'utf8'), true).out.toString('utf8');
  }

  /**
   * Masks every secret in `data`; unless `final`, keeps back (as `rest`) the shortest tail that
   * could still grow into a secret.
   */
  private mask(data: Buffer, final: boolean): { out: Buffer; rest: Buffer } {
    const parts: Buffer[] = [];
    let copiedTo = 0;
    let at = 0;
    while (at < data.length) {
      // Bytes that are the start of a longer secret may be completed by the next write; masking
      // a shorter secret they hold (or passing them on) now would let the longer one's tail out.
      if (!final && data.length - at < this.longest && this.couldStart(data.subarray(at))) break;
      const found = this.secrets.find((secret) => startsWithAt(data, at, secret));
      if (found) {
        parts.push(data.subarray(copiedTo, at), Buffer.from(MASK));
        at += found.length;
        copiedTo = at;
      } else at += 1;
    }
    parts.push(data.subarray(copiedTo, at));
    return { out: Buffer.concat(parts), rest: Buffer.from(data.subarray(at)) };
  }

  /** Whether `tail` is the beginning of some secret. */
  private couldStart(tail: Buffer): boolean {
    return this.secrets.some((secret) => secret.length > tail.length && secret.subarray(0, tail.length).equals(tail));
  }
}

function startsWithAt(data: Buffer, at: number, secret: Buffer): boolean {
  return (
    data[at] === secret[0] && data.length - at >= secret.length && data.subarray(at, at + secret.length).equals(secret)
  );
}
