/**
 * Validates a rendered Compose document against the compose-spec JSON schema that ships inside
 * the `docker-compose` npm package, so a template mistake fails at render time, not at `up`.
 */
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

let validator: ValidateFunction | undefined;

function composeValidator(): ValidateFunction {
  if (!validator) {
    const schema = createRequire(import.meta.url)('docker-compose/schema/compose-spec.json') as Record<string, unknown>;
    // The spec uses keywords (deprecated, x- extensions) that strict Ajv rejects, and names a
    // draft-07 meta-schema URL that Ajv knows under another spelling.
    const { $schema: _ignored, ...body } = schema;
    validator = new Ajv({ strict: false, allErrors: true }).compile(body);
  }
  return validator;
}

/** Returns one readable line per schema violation, with the path inside the document. */
export function validateComposeDocument(document: unknown): string[] {
  const validate = composeValidator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map(describeError);
}

function describeError(error: ErrorObject): string {
  const path = error.instancePath === '' ? '(top level)' : error.instancePath;
  const extra = error.keyword === 'additionalProperties' ? ` "${String(error.params['additionalProperty'])}"` : '';
  return `${path}: ${error.message ?? error.keyword}${extra}`;
}
