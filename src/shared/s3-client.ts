/**
 * The S3 client of an S3 location's settings (GYRE_S3_*): the services box's blob store and
 * backups, and `gyre backup verify` looking into a bucket, all reach S3 the same way.
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';

export interface S3Connection {
  readonly endpoint?: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly forcePathStyle: boolean;
}

export function createS3Client(settings: S3Connection): S3Client {
  return new S3Client({
    region: settings.region,
    ...(settings.endpoint && { endpoint: settings.endpoint }),
    forcePathStyle: settings.forcePathStyle,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    // The SDK's default CRC32 checksums send bodies aws-chunked with trailers, which many
    // S3-compatible servers store verbatim or refuse. Blobs are named by their sha256 anyway, so
    // checksums are sent only where S3 requires one.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A server that stops answering mid-request must not hold a backup, a sweep or an upload for
    // ever: give up on a connection that takes 10 s, or a socket silent for 2 minutes.
    requestHandler: { connectionTimeout: 10_000, socketTimeout: 120_000 },
  });
}

/** The key of `name` under `prefix` ('' for the bucket's top level). */
export function s3KeyOf(prefix: string, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** The HTTP status of an S3 error answer, or undefined for any other failure. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
}
