/**
 * The log store: job output as sequence-numbered chunks, stored idempotently and read back as
 * one byte stream, whole, by range or live over SSE, with a size cap per attempt.
 */
export {
  LogStore,
  type AppendResult,
  type AttemptSelection,
  type LogRange,
  type LogStoreOptions,
  type LogView,
} from './log-store.js';
export { DEFAULT_MAX_ATTEMPT_BYTES, TRUNCATION_STEP } from './log-cap.js';
export { LiveLogHub, type LiveLogOptions } from './live-log-hub.js';
export { MAX_CHUNK_BYTES, type LogChunk, type LogChunkKey } from './log-chunk.js';
export type { FinalSeqs, LogCompleteness, StepCompleteness } from './log-completeness.js';
export { registerLogRoutes, toSelection, type LogRouteDeps } from './log-routes.js';
export { closeStreamsOnClose, liveLogSchema, sendLiveLog, type LiveLogRequest } from './log-stream-route.js';
