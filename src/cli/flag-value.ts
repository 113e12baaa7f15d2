/**
 * Checks a command-line flag with the same schema as the setting it stands for (a port, a
 * memory size, a URL...), so `--slot-memory 4` is refused just as `GYRE_SLOT_MEMORY=4` is.
 */
import type { z } from 'zod';
import { InvalidInputError } from '../shared/errors.js';

export function flagValue<T>(flag: string, text: string, schema: z.ZodType<T, string>, example: string): T {
  const parsed = schema.safeParse(text);
  if (parsed.success) return parsed.data;
  throw new InvalidInputError(
    flag,
    parsed.error.issues.map((issue) => ({
      input: `${flag} ${text}`,
      message: issue.message,
      hint: `for example ${flag} ${example}`,
    })),
  );
}
