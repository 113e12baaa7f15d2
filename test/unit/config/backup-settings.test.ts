import { describe, expect, it } from '@jest/globals';
import { check, VALID_SECRETS } from './settings-helpers.js';

describe('GYRE_BACKUP_*', () => {
  it('are off by default: no schedule, seven kept, into the data volume', () => {
    expect(check(VALID_SECRETS, 'serve').settings?.backup).toEqual({ keep: 7, destination: { kind: 'data' } });
  });

  it('read a schedule, a number to keep and an S3 prefix with the GYRE_S3_* settings', () => {
    const settings = check(
      {
        ...VALID_SECRETS,
        GYRE_BACKUP_SCHEDULE: ' 0 3 * * 1-5 ',
        GYRE_BACKUP_KEEP: '30',
        GYRE_BACKUP_DESTINATION: 's3://gyre-backups/ci/',
        GYRE_S3_ENDPOINT: 'http://minio.internal:9000',
        GYRE_S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
        GYRE_S3_SECRET_ACCESS_KEY: 'secret',
      },
      'serve',
    ).settings;
    expect(settings?.backup).toEqual({
      schedule: '0 3 * * 1-5',
      keep: 30,
      destination: {
        kind: 's3',
        bucket: 'gyre-backups',
        prefix: 'ci',
        endpoint: 'http://minio.internal:9000',
        region: 'us-east-1',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'secret',
        forcePathStyle: false,
      },
    });
    // The blob store stays where it was
    expect(settings?.blobStore).toEqual({ kind: 'file' });
  });

  it('list every bad value at once, each saying what it wants', () => {
    const { problems } = check(
      {
        ...VALID_SECRETS,
        GYRE_BACKUP_SCHEDULE: '0 3 * *',
        GYRE_BACKUP_KEEP: '0',
        GYRE_BACKUP_DESTINATION: '/srv/backups',
      },
      'serve',
    );
    expect(problems.map((p) => `${p.input}: ${p.message}`)).toEqual([
      expect.stringMatching(/^GYRE_BACKUP_SCHEDULE: "0 3 \* \*" has 4 fields; a schedule takes five/),
      expect.stringMatching(/^GYRE_BACKUP_KEEP: must be a whole number of at least 1/),
      'GYRE_BACKUP_DESTINATION: must be "data" (GYRE_DATA_DIR/backups), s3://bucket or s3://bucket/prefix',
    ]);
  });

  it('need the S3 credentials for an S3 destination, naming the setting that wants them', () => {
    const { problems } = check({ ...VALID_SECRETS, GYRE_BACKUP_DESTINATION: 's3://gyre-backups' }, 'serve');
    expect(problems).toEqual([
      expect.objectContaining({
        input: 'GYRE_S3_ACCESS_KEY_ID',
        message: 'is required because GYRE_BACKUP_DESTINATION is an S3 bucket',
        hint: expect.stringContaining('or set GYRE_BACKUP_DESTINATION=data to keep backups on the data volume'),
      }),
      expect.objectContaining({ input: 'GYRE_S3_SECRET_ACCESS_KEY' }),
    ]);
  });

  it('refuse a schedule beside an external database, which `gyre backup` does not dump', () => {
    const { GYRE_DB_PASSWORD: _password, ...secrets } = VALID_SECRETS as Record<string, string>;
    const { problems } = check(
      { ...secrets, GYRE_DATABASE_URL: 'postgres://gyre:pw@db.internal:5432/gyre', GYRE_BACKUP_SCHEDULE: '0 3 * * *' },
      'serve',
    );
    expect(problems).toEqual([
      expect.objectContaining({
        input: 'GYRE_BACKUP_SCHEDULE',
        message: 'backs up the bundled database, but GYRE_DATABASE_URL names an external one',
      }),
    ]);
  });
});
