/**
 * The log store: job output as sequence-numbered chunks, stored idempotently and read back as
 * one byte stream, whole or by range.
 */
export { LogStore, type AppendResult, type AttemptSelection, type LogRange, type LogView } from './log-store.js';
export { MAX_CHUNK_BYTES, type LogChunk, type LogChunkKey } from './log-chunk.js';
export type { FinalSeqs, LogCompleteness, StepCompleteness } from './log-completeness.js';
export { registerLogRoutes, type LogRouteDeps } from './log-routes.js';
