import { describe, expect, it } from '@jest/globals';
import { caEnv, proxyEnv, unreachableProxies } from '../../../../src/builder/runner/outbound.js';

describe('proxyEnv', () => {
  it('is empty without a proxy, even with hosts of the job', () => {
    expect(proxyEnv(undefined, ['db'])).toEqual([]);
    expect(proxyEnv({ proxy: { noProxy: '.corp' } }, ['db'])).toEqual([]);
  });

  it("gives each proxy in both cases and keeps the job's own hosts and loopback off it", () => {
    expect(proxyEnv({ proxy: { http: 'http://p:3128' } }, ['postgres', 'redis'])).toEqual([
      'HTTP_PROXY=http://p:3128',
      'http_proxy=http://p:3128',
      'NO_PROXY=localhost,127.0.0.1,::1,postgres,redis',
      'no_proxy=localhost,127.0.0.1,::1,postgres,redis',
    ]);
  });
});

describe('caEnv', () => {
  it('points the usual variables at the bundles only when there is an extra CA', () => {
    expect(caEnv({ proxy: {} })).toEqual([]);
    expect(caEnv({ proxy: {}, extraCa: '-----BEGIN CERTIFICATE-----\n' })).toEqual([
      'SSL_CERT_FILE=/gyre/ca-bundle.pem',
      'REQUESTS_CA_BUNDLE=/gyre/ca-bundle.pem',
      'GIT_SSL_CAINFO=/gyre/ca-bundle.pem',
      'NODE_EXTRA_CA_CERTS=/gyre/extra-ca.pem',
    ]);
  });
});

describe('unreachableProxies', () => {
  it("names each proxy on the builder host's loopback once, which no job's container reaches", () => {
    expect(
      unreachableProxies({
        proxy: { http: 'http://127.0.0.1:3128', https: 'http://127.0.0.1:3128', noProxy: '.corp' },
      }),
    ).toEqual(['http://127.0.0.1:3128']);
    expect(unreachableProxies({ proxy: { http: 'http://localhost:3128', https: 'http://[::1]:3129' } })).toEqual([
      'http://localhost:3128',
      'http://[::1]:3129',
    ]);
  });

  it('passes over proxies on other addresses, and none at all', () => {
    expect(unreachableProxies({ proxy: { http: 'http://10.0.0.5:3128', https: 'http://proxy.corp:8080' } })).toEqual(
      [],
    );
    expect(unreachableProxies(undefined)).toEqual([]);
  });
});
