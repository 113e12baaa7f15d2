/**
 * JSON schemas of the builder protocol's request bodies (see src/protocol/contract.ts), which
 * validate requests and document them in the OpenAPI output.
 */
import { BUILDER_NAME_PATTERN, MAX_LEASE_WAIT_S } from '../../../protocol/index.js';

const positiveInt = { type: 'integer', minimum: 1 } as const;
const nonNegative = { type: 'number', minimum: 0 } as const;

export const jobParams = { type: 'object', required: ['id'], properties: { id: positiveInt } } as const;

const tokenProperties = { attempt: positiveInt, leaseId: { type: 'string', format: 'uuid' } } as const;
export const tokenSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['attempt', 'leaseId'],
  properties: tokenProperties,
} as const;

export const registerSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['facts'],
  properties: {
    facts: {
      type: 'object',
      additionalProperties: false,
      required: [
        'name',
        'host',
        'cpus',
        'memoryBytes',
        'dockerVersion',
        'version',
        'slots',
        'slotCpus',
        'slotMemoryBytes',
      ],
      properties: {
        name: { type: 'string', pattern: BUILDER_NAME_PATTERN.source },
        host: { type: 'string', minLength: 1, maxLength: 255 },
        cpus: nonNegative,
        memoryBytes: nonNegative,
        dockerVersion: { type: 'string', maxLength: 100 },
        version: { type: 'string', maxLength: 100 },
        slots: positiveInt,
        slotCpus: nonNegative,
        slotMemoryBytes: { type: 'integer', minimum: 1 },
      },
    },
    identity: {
      type: 'object',
      additionalProperties: false,
      required: ['builderId', 'credential'],
      properties: { builderId: positiveInt, credential: { type: 'string', maxLength: 200 } },
    },
  },
} as const;

export const leaseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['max', 'waitSeconds'],
  properties: {
    max: { type: 'integer', minimum: 0, maximum: 64 },
    waitSeconds: { type: 'number', minimum: 0, maximum: MAX_LEASE_WAIT_S },
  },
} as const;

export const drainSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['deadlineSeconds'],
  properties: { deadlineSeconds: { type: 'integer', minimum: 0, maximum: 7 * 86_400 } },
} as const;

export const stepSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['attempt', 'leaseId', 'index', 'name', 'user', 'status'],
  properties: {
    ...tokenProperties,
    index: { type: 'integer', minimum: 0 },
    name: { type: 'string', maxLength: 1000 },
    user: { type: 'boolean' },
    status: { enum: ['started', 'finished'] },
    exitCode: { type: 'integer' },
  },
} as const;

export const completeSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['attempt', 'leaseId', 'outcome', 'logsAcknowledged'],
  properties: {
    ...tokenProperties,
    outcome: { enum: ['success', 'failed', 'canceled', 'infrastructure_failed'] },
    message: { type: 'string', maxLength: 10_000 },
    logsAcknowledged: { const: true },
  },
} as const;

export const logChunkSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['attempt', 'leaseId', 'step', 'seq', 'data'],
  properties: {
    ...tokenProperties,
    step: { type: 'integer', minimum: 0 },
    seq: { type: 'integer', minimum: 0 },
    // base64 of at most 1 MiB.
    data: { type: 'string', maxLength: 1_398_104, pattern: '^[A-Za-z0-9+/]*={0,2}$' },
  },
} as const;
