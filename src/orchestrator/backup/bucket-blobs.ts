/**
 * A backup of an install whose blobs are in S3 copies none: its manifest lists the digests the
 * snapshot named (`bucketBlobs`), which stay in the bucket. `verify` asks the bucket, by a HEAD
 * request each, that it still holds every one with its size; the retention sweeper may have
 * deleted some since, unless the bucket keeps versions.
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3KeyOf, statusOf } from '../../shared/s3-client.js';

/** HEAD requests in flight at once. */
const HEADS_AT_ONCE = 8;

export interface BucketBlobs {
  readonly bucket: string;
  readonly prefix: string;
  readonly blobs: readonly { readonly digest: string; readonly size: number }[];
}

/** Each listed blob the bucket lacks, or holds with another size. */
export async function bucketProblems(
  client: S3Client,
  { bucket, prefix, blobs }: BucketBlobs,
  onLine: (line: string) => void,
): Promise<string[]> {
  const problems: string[] = [];
  let next = 0;
  let asked = 0;
  const worker = async () => {
    while (next < blobs.length) {
      const { digest, size } = blobs[next++]!;
      const key = s3KeyOf(prefix, digest);
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        if (head.ContentLength !== size)
          problems.push(`s3://${bucket}/${key}: ${head.ContentLength} bytes, the manifest says ${size}`);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
        problems.push(`s3://${bucket}/${key}: missing`);
      }
      asked += 1;
      if (asked % 100 === 0) onLine(`${asked}/${blobs.length} blobs asked for`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEADS_AT_ONCE, blobs.length) }, worker));
  return problems.sort();
}
