import { describe, expect, it } from '@jest/globals';
import { readStackTemplates } from '../../../src/orchestrator/stack/stack-templates.js';
import { renderServicesStack } from '../../../src/render/index.js';
import { InvalidInputError } from '../../../src/shared/errors.js';
import { settingsFrom } from '../../support/settings.js';

const templates = readStackTemplates();
const settings = settingsFrom({});
const options = { version: '0.1.0' };

describe('rendering broken templates', () => {
  it('fails, naming the template, when it refers to a value the model lacks (strict mode)', () => {
    const broken = {
      ...templates,
      services: templates.services.replace('{{json images.app}}', '{{json images.missing}}'),
    };
    expect(() => renderServicesStack(settings, broken, options)).toThrow(
      /template for services.yml failed to render: json helper got an undefined value at line \d+/,
    );
  });

  it('rejects output that is not valid Compose, with the path of each problem', () => {
    const broken = {
      ...templates,
      services: templates.services.replace('restart: unless-stopped', 'restart: unless-stopped\n    restrat: always'),
    };
    const render = () => renderServicesStack(settings, broken, options);
    expect(render).toThrow(InvalidInputError);
    expect(render).toThrow(/\/services\/db: must NOT have additional properties "restrat"/);
  });

  it('rejects output that is not YAML at all', () => {
    const broken = { ...templates, services: `${templates.services}\n  bad: [unclosed` };
    expect(() => renderServicesStack(settings, broken, options)).toThrow();
  });
});
