import { describe, expect, it } from '@jest/globals';
import { rawSettingsSchema } from '../../../src/config/schema.js';
import { check, VALID_SECRETS } from './settings-helpers.js';

const S3 = {
  ...VALID_SECRETS,
  GYRE_BLOB_STORE: 's3://gyre-blobs/ci/main/',
  GYRE_S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  GYRE_S3_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};

describe('GYRE_BLOB_STORE', () => {
  const parse = (text: string) => rawSettingsSchema.shape.GYRE_BLOB_STORE.safeParse(text);

  it('is the filesystem by default', () => {
    expect(check(VALID_SECRETS, 'serve').settings?.blobStore).toEqual({ kind: 'file' });
  });

  it.each([
    ['file', { kind: 'file' }],
    ['s3://gyre-blobs', { kind: 's3', bucket: 'gyre-blobs', prefix: '' }],
    ['s3://gyre-blobs/', { kind: 's3', bucket: 'gyre-blobs', prefix: '' }],
    ['s3://gyre.blobs/ci', { kind: 's3', bucket: 'gyre.blobs', prefix: 'ci' }],
    [' s3://b12/ci/Main_1.x/ ', { kind: 's3', bucket: 'b12', prefix: 'ci/Main_1.x' }],
  ])('reads %j', (text, location) => {
    expect(parse(text).data).toEqual(location);
  });

  it.each([
    ['files', /must be "file", s3:\/\/bucket or s3:\/\/bucket\/prefix/],
    ['s3:/bucket', /must be "file"/],
    ['https://bucket.s3.amazonaws.com', /must be "file"/],
    ['s3://', /must be "file"/],
    ['s3://Gyre_Blobs', /"Gyre_Blobs" is not an S3 bucket name/],
    ['s3://ab', /"ab" is not an S3 bucket name/],
    ['s3://gyre-blobs/a//b', /"a\/\/b" is not a key prefix/],
    ['s3://gyre-blobs/../x', /"\.\.\/x" is not a key prefix/],
    ['s3://gyre-blobs/a b', /"a b" is not a key prefix/],
  ])('refuses %j, saying what it wants', (text, message) => {
    expect(parse(text).error?.issues[0]?.message).toMatch(message);
  });
});

describe('GYRE_S3_* settings', () => {
  it('give the typed S3 store settings, with the defaults for region and path style', () => {
    expect(check(S3, 'serve').settings?.blobStore).toEqual({
      kind: 's3',
      bucket: 'gyre-blobs',
      prefix: 'ci/main',
      region: 'us-east-1',
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      forcePathStyle: false,
    });
  });

  it('read an S3-compatible endpoint, a region and path-style addressing', () => {
    const settings = check(
      {
        ...S3,
        GYRE_S3_ENDPOINT: 'http://minio.internal:9000',
        GYRE_S3_REGION: 'garage',
        GYRE_S3_FORCE_PATH_STYLE: 'TRUE',
      },
      'serve',
    ).settings;
    expect(settings?.blobStore).toMatchObject({
      endpoint: 'http://minio.internal:9000',
      region: 'garage',
      forcePathStyle: true,
    });
  });

  it.each([
    ['true', true],
    ['yes', true],
    ['1', true],
    ['On', true],
    ['false', false],
    ['no', false],
    ['0', false],
    ['OFF', false],
  ])('read GYRE_S3_FORCE_PATH_STYLE=%s as %s', (text, value) => {
    expect(rawSettingsSchema.shape.GYRE_S3_FORCE_PATH_STYLE.parse(text)).toBe(value);
  });

  it('list every bad value at once, each saying what it wants', () => {
    const result = check(
      { ...S3, GYRE_S3_ENDPOINT: 'minio:9000', GYRE_S3_REGION: 'EU West', GYRE_S3_FORCE_PATH_STYLE: 'sure' },
      'serve',
    );
    expect(result.problems.map((p) => `${p.input}: ${p.message}`)).toEqual([
      'GYRE_S3_ENDPOINT: must be an http:// or https:// URL',
      'GYRE_S3_REGION: must be a region name such as us-east-1',
      'GYRE_S3_FORCE_PATH_STYLE: "sure" is not true or false',
    ]);
  });

  it('are required credentials of an s3:// store, both reported at once, for every purpose', () => {
    const { GYRE_S3_ACCESS_KEY_ID: _id, GYRE_S3_SECRET_ACCESS_KEY: _key, ...withoutCredentials } = S3;
    for (const purpose of ['serve', 'generate'] as const)
      expect(check(withoutCredentials, purpose).problems).toEqual([
        {
          input: 'GYRE_S3_ACCESS_KEY_ID',
          message: 'is required because GYRE_BLOB_STORE is an S3 bucket',
          hint: 'set the access key ID that the S3 server issued for bucket gyre-blobs, or set GYRE_BLOB_STORE=file to keep blobs on the services box',
        },
        {
          input: 'GYRE_S3_SECRET_ACCESS_KEY',
          message: 'is required because GYRE_BLOB_STORE is an S3 bucket',
          hint: 'set the secret access key (or GYRE_S3_SECRET_ACCESS_KEY_FILE) that the S3 server issued for bucket gyre-blobs, or set GYRE_BLOB_STORE=file to keep blobs on the services box',
        },
      ]);
  });

  it('take the secret access key from GYRE_S3_SECRET_ACCESS_KEY_FILE', () => {
    const { GYRE_S3_SECRET_ACCESS_KEY: key, ...others } = S3;
    const result = check({ ...others, GYRE_S3_SECRET_ACCESS_KEY_FILE: '/run/secrets/s3' }, 'serve', {
      '/run/secrets/s3': `${key}\n`,
    });
    expect(result.problems).toEqual([]);
    expect(result.settings?.blobStore).toMatchObject({ secretAccessKey: key });
  });

  it('reports only the bad value, not also missing credentials, when GYRE_BLOB_STORE does not parse', () => {
    expect(check({ ...VALID_SECRETS, GYRE_BLOB_STORE: 's3://B' }, 'serve').problems.map((p) => p.input)).toEqual([
      'GYRE_BLOB_STORE',
    ]);
  });

  it('are ignored with a warning naming them when the store is the filesystem', () => {
    const result = check({ ...VALID_SECRETS, GYRE_S3_REGION: 'eu-west-1', GYRE_S3_SECRET_ACCESS_KEY: 'x' }, 'serve');
    expect(result.problems).toEqual([]);
    expect(result.settings?.blobStore).toEqual({ kind: 'file' });
    expect(result.warnings).toEqual([
      'GYRE_S3_REGION, GYRE_S3_SECRET_ACCESS_KEY are ignored because neither GYRE_BLOB_STORE nor GYRE_BACKUP_DESTINATION is an S3 bucket; set GYRE_BLOB_STORE=s3://bucket to keep blobs in S3',
    ]);
  });
});
