/**
 * Structured JSON logs (pino) with the component in every line, so logs from the services app
 * and builders can be told apart and filtered.
 */
import { pino, type Logger } from 'pino';

export function createLogger(component: string, level: string): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime });
}
