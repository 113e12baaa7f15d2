import { describe, expect, it } from '@jest/globals';
import { OutputPace } from '../../../../src/builder/runner/output-pace.js';
import type { RunnerSink } from '../../../../src/builder/runner/index.js';

/** A sink whose room is `room` (undefined: room now). */
function sinkWith(room: () => Promise<void> | undefined): RunnerSink {
  return { log: () => undefined, step: () => undefined, room };
}

describe('OutputPace', () => {
  it("waits for the sink's room while the job's steps run", async () => {
    const pace = new OutputPace();
    expect(pace.wait(sinkWith(() => undefined))).toBeUndefined();
    expect(pace.wait({ log: () => undefined, step: () => undefined })).toBeUndefined();
    let makeRoom!: () => void;
    const room = new Promise<void>((resolve) => (makeRoom = resolve));
    const wait = pace.wait(sinkWith(() => room))!;
    let waited = false;
    void wait.then(() => (waited = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(waited).toBe(false);
    makeRoom();
    await wait;
  });

  it('ends a wait under way when the job stops, and starts no new one', async () => {
    const pace = new OutputPace();
    const never = sinkWith(() => new Promise<void>(() => undefined));
    const wait = pace.wait(never)!;
    pace.end();
    await wait;
    expect(pace.wait(never)).toBeUndefined();
  });
});
