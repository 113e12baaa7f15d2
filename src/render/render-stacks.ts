/**
 * Renders the services stack and the builder stack from Settings. Pure: templates come in as
 * text, and the output is text plus the secrets to write beside it. Every rendered file is
 * parsed back and validated against the compose-spec schema before it is returned.
 */
import { parse } from 'yaml';
import type { Settings } from '../config/index.js';
import { InvalidInputError } from '../shared/errors.js';
import { buildBuilderModel, type JoinSecretSource } from './builder-model.js';
import { compileTemplate } from './compile-template.js';
import { buildServicesModel } from './services-model.js';
import type { StackSecret } from './stack-files.js';
import { validateComposeDocument } from './validate-compose.js';

/** The template sources, as read from the package's `templates/` folder. */
export interface StackTemplates {
  readonly services: string;
  readonly builder: string;
  /** Partials shared by both, by name (`labels`). */
  readonly partials: Readonly<Record<string, string>>;
}

export interface RenderedStack {
  /** File name inside the output folder. */
  readonly fileName: string;
  /** Compose project name. */
  readonly projectName: string;
  readonly text: string;
  /** Secrets the stack reads from files beside it. */
  readonly secrets: readonly StackSecret[];
}

export const SERVICES_PROJECT_NAME = 'gyre-services';

export interface RenderOptions {
  /** Gyre's version, written into labels. */
  readonly version: string;
  /** Builder stack only. @default 'file' */
  readonly joinSecretSource?: JoinSecretSource;
  /** Builder stack only. @default AGENT_API_PORT */
  readonly agentApiPort?: number;
  /** Builder stack only: the agent's hosts file entries (see BuilderRenderOptions). */
  readonly extraHosts?: readonly string[];
}

export function renderServicesStack(
  settings: Settings,
  templates: StackTemplates,
  options: RenderOptions,
): RenderedStack {
  const { model, secrets } = buildServicesModel(settings, {
    version: options.version,
    projectName: SERVICES_PROJECT_NAME,
  });
  const text = renderValidated('services.yml', templates.services, templates.partials, model);
  return { fileName: 'services.yml', projectName: SERVICES_PROJECT_NAME, text, secrets };
}

export function renderBuilderStack(
  settings: Settings,
  templates: StackTemplates,
  options: RenderOptions,
): RenderedStack {
  const { model, secrets } = buildBuilderModel(settings, options);
  const text = renderValidated('builder.yml', templates.builder, templates.partials, model);
  return { fileName: 'builder.yml', projectName: (model as { projectName: string }).projectName, text, secrets };
}

function renderValidated(
  fileName: string,
  source: string,
  partials: StackTemplates['partials'],
  model: object,
): string {
  let text: string;
  try {
    text = compileTemplate(source, partials)(model).trimEnd() + '\n';
  } catch (error) {
    // A strict-mode failure means the template asks for something the model lacks: a bug in Gyre
    // or in a customised template, so name the template rather than the user's settings.
    throw new Error(`template for ${fileName} failed to render: ${(error as Error).message}`, { cause: error });
  }
  const document: unknown = parse(text);
  const problems = validateComposeDocument(document);
  if (problems.length > 0) {
    throw new InvalidInputError(
      `rendered ${fileName}`,
      problems.map((message) => ({
        input: fileName,
        message,
        hint: 'the template produced a file that is not valid Compose; check templates/ and your settings',
      })),
    );
  }
  return text;
}
