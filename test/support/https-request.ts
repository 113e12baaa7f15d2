/** One HTTPS request with node:https, trusting only the certificate authority given: fetch cannot be told which to trust. */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsAnswer {
  readonly status: number;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented. */
  readonly fingerprint256: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface HttpsCallOptions {
  /** The only certificate authority trusted; the system's when absent. */
  readonly ca?: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as JSON. */
  readonly body?: unknown;
}

export function httpsRequest(url: string, options: HttpsCallOptions = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const outgoing = request(
      url,
      {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers: { ...options.headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(options.ca !== undefined && { ca: options.ca }),
      },
      (incoming) => {
        const fingerprint256 = (incoming.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let text = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => (text += chunk));
        incoming.once('end', () =>
          resolve({ status: incoming.statusCode ?? 0, body: text, fingerprint256, headers: incoming.headers }),
        );
        incoming.once('error', reject);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}
