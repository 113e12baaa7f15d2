import { describe, expect, it } from '@jest/globals';
import { DOCKER_HUB, registryAuthFor, registryOf } from '../../../../src/builder/runner/registry-auth.js';

describe('registry credentials for a pull', () => {
  it.each([
    ['cimg/node:22.11', DOCKER_HUB],
    ['postgres:16', DOCKER_HUB],
    ['ghcr.io/acme/builder:1', 'ghcr.io'],
    ['registry.acme.example:5000/team/builder', 'registry.acme.example:5000'],
    ['localhost/builder', 'localhost'],
    ['acme.dkr.ecr.us-east-1.amazonaws.com/builder', 'acme.dkr.ecr.us-east-1.amazonaws.com'],
  ])('finds the registry of %s as the Docker CLI does', (ref, registry) => {
    expect(registryOf(ref)).toBe(registry);
  });

  it('fills $NAME and ${NAME} from the variables, and names every missing variable, never a value', () => {
    const image = {
      image: 'ghcr.io/acme/b:1',
      environment: {},
      auth: { username: '${USER}-bot', password: '$TOKEN$SUFFIX' },
    };
    expect(registryAuthFor(image, { USER: 'ci', TOKEN: 'abc', SUFFIX: '123' })).toEqual({
      username: 'ci-bot',
      password: 'abc123',
      serveraddress: 'ghcr.io',
    });
    expect(() => registryAuthFor(image, { TOKEN: 'abc' })).toThrow(
      'Image ghcr.io/acme/b:1 needs registry credentials from $USER, $SUFFIX, which this job does not have',
    );
    expect(registryAuthFor({ image: 'alpine', environment: {} }, {})).toBeUndefined();
  });
});
