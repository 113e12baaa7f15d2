/**
 * A background task's loop: one pass, then the next `intervalMs` after it ended, so passes never
 * overlap however long one takes. A failed pass is handed to `onError` and the next one tries again.
 */
export interface RepeatedPasses {
  /** No pass starts after this; resolves once the one under way has ended. */
  stop(): Promise<void>;
}

export function repeatPasses(
  pass: () => Promise<unknown>,
  onError: (error: unknown) => void,
  { intervalMs, firstAfterMs = intervalMs }: { readonly intervalMs: number; readonly firstAfterMs?: number },
): RepeatedPasses {
  let current: Promise<unknown> = Promise.resolve();
  let stopped = false;
  let timer: NodeJS.Timeout;
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      current = pass()
        .catch(onError)
        .finally(() => {
          if (!stopped) schedule(intervalMs);
        });
    }, delayMs);
  };
  schedule(firstAfterMs);
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
