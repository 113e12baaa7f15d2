/**
 * The `gyre` command's API client, from the address and token `gyre up` saved (or GYRE_API_URL,
 * GYRE_API_TOKEN and GYRE_API_CA_FILE). With TLS on, that address is HTTPS, and the record names
 * the bundle that vouches for a self-signed or privately signed certificate.
 */
import { GyreClient } from '../client/gyre-client.js';
import { trustAlso } from '../shared/extra-ca.js';
import type { ApiRecord } from './state-folder.js';

export function apiClientOf(record: ApiRecord): GyreClient {
  if (record.caFile !== undefined) trustAlso(record.caFile, 'GYRE_API_CA_FILE');
  return new GyreClient(record.url, record.token);
}
