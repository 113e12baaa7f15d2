/**
 * Which steps run, CircleCI's way: a failed step makes later `on_success` steps skip and lets
 * `on_fail` steps run; `always` steps run either way.
 */
import type { Step, StepWhen } from './types.js';

/** Whether a step with `when` runs after earlier steps did (not) fail. */
export function shouldRunStep(when: StepWhen, failed: boolean): boolean {
  switch (when) {
    case 'always':
      return true;
    case 'on_success':
      return !failed;
    case 'on_fail':
      return failed;
  }
}

/** A step's name in the UI and in messages. */
export function stepName(step: Step): string {
  return step.type === 'checkout' ? 'Checkout code' : step.name;
}

/** The network alias of a service: its `name`, else the image's short name (`a/b:1` → `b`). */
export function serviceAlias(image: string, name?: string): string {
  if (name !== undefined && name !== '') return name;
  const withoutDigest = image.split('@')[0] ?? image;
  const last = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  return last.split(':')[0] ?? last;
}
