import { describe, expect, it } from '@jest/globals';
import { MASK, SecretMasker } from '../../../../src/builder/agent/secret-masker.js';

/** Feeds `pieces` to one step as separate writes, then ends the step; returns all that was passed on. */
function stream(masker: SecretMasker, pieces: readonly string[], step = 1): string {
  const out = pieces.map((piece) => masker.write(step, Buffer.from(piece)).toString());
  return out.join('') + masker.flush(step).toString();
}

describe('SecretMasker', () => {
  const masker = () => new SecretMasker(['s3cr3t-value', 'ab12', 'no', 'line-one\nline-two']);

  it('masks a value printed whole, and leaves other text as it was', () => {
    expect(stream(masker(), ['token=s3cr3t-value; done\n'])).toBe(`token=${MASK}; done\n`);
    expect(stream(masker(), ['nothing to hide here\n'])).toBe('nothing to hide here\n');
  });

  it('masks a value printed one character at a time, passing on what cannot be a secret at once', () => {
    const m = masker();
    const passed = [...'x s3cr3t-value y'].map((c) => m.write(1, Buffer.from(c)).toString());
    expect(passed.join('') + m.flush(1).toString()).toBe(`x ${MASK} y`);
    // "x" and the space cannot start a secret, so they were not held back.
    expect(passed.slice(0, 2)).toEqual(['x', ' ']);
  });

  it('masks a value that straddles two writes, as at a chunk boundary', () => {
    expect(stream(masker(), ['begin s3cr3', 't-value end'])).toBe(`begin ${MASK} end`);
  });

  it('masks every occurrence, of several values, and a value at the very end of the step', () => {
    expect(stream(masker(), ['ab12 and s3cr3t-value and ab12', 'ab', '12'])).toBe(
      `${MASK} and ${MASK} and ${MASK}${MASK}`,
    );
  });

  it('masks a multi-line value whole, line by line, and with CRLF line ends', () => {
    expect(stream(masker(), ['key:\nline-one\nline-two\n'])).toBe(`key:\n${MASK}\n`);
    expect(stream(masker(), ['only line-two here'])).toBe(`only ${MASK} here`);
    expect(stream(masker(), ['line-one\r\nline-two\r\n'])).toBe(`${MASK}\r\n${MASK}\r\n`);
  });

  it('masks a longer secret that starts with a shorter one, also when a write ends where the shorter one does', () => {
    const m = new SecretMasker(['abcd1234', 'abcd1234XYZW']);
    expect(stream(m, ['key=abcd1234', 'XYZW!'])).toBe(`key=${MASK}!`);
    expect(stream(m, ['key=abcd1234', ' then'])).toBe(`key=${MASK} then`);
  });

  it('leaves values shorter than 4 characters alone', () => {
    expect(stream(masker(), ['no, not now'])).toBe('no, not now');
  });

  it('keeps the held bytes of each step apart', () => {
    const m = masker();
    expect(m.write(1, Buffer.from('s3cr3')).toString()).toBe('');
    expect(m.write(2, Buffer.from('t-value')).toString()).toBe('t-value');
    expect(m.flush(1).toString()).toBe('s3cr3');
  });

  it('passes on a held prefix that turned out not to be a secret', () => {
    expect(stream(masker(), ['s3cr', 'et'])).toBe('s3cret');
  });

  it('masks texts whole: step names and error messages', () => {
    expect(masker().text('deploy with s3cr3t-value failed')).toBe(`deploy with ${MASK} failed`);
  });

  it('masks UTF-8 values split inside a character', () => {
    const m = new SecretMasker(['pässwörd']);
    const bytes = Buffer.from('x pässwörd y');
    const out = [...bytes].map((b) => m.write(1, Buffer.from([b])));
    expect(Buffer.concat([...out, m.flush(1)]).toString()).toBe(`x ${MASK} y`);
  });

  it('finishes every step at the end of the job', () => {
    const m = masker();
    m.write(3, Buffer.from('tail ab1'));
    expect(m.flushAll().map(([step, rest]) => [step, rest.toString()])).toEqual([[3, 'ab1']]);
  });
});
