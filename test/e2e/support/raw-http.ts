/**
 * Raw HTTP/1.1 over node:net, for requests `fetch` refuses to send: CR, LF or NUL in header
 * values and paths, bytes that are not ASCII, odd methods. Optionally SigV4-signed over exactly
 * the bytes sent, as a client that means it would sign them.
 */
import { connect } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../../lib/cli/sha256.ts';

/** One raw request. Strings are sent as latin1 (one byte per char), so any byte can be sent. */
export interface RawRequest {
  readonly method: string;
  /** The request target exactly as sent (path and query), e.g. `/prod/topics/orders/events`. */
  readonly target: string;
  /** Header lines in order; names and values are sent as they are (no validation). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body?: Buffer;
}

/** What came back. */
export interface RawResponse {
  readonly status: number;
  /** Header values by lowercase name (repeated headers joined with `, `). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** A request that got no complete answer in time. */
export class RawHttpTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RawHttpTimeoutError';
  }
}

/**
 * Sends one request on a fresh connection (`Content-Length` and `Connection: close` are added)
 * and reads the response
 * until the server closes the connection.
 *
 * @throws RawHttpTimeoutError when no complete response arrives within `timeoutMs`
 */
export function sendRaw(
  origin: { readonly host: string; readonly port: number },
  request: RawRequest,
  timeoutMs: number
): Promise<RawResponse> {
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${request.body?.length ?? 0}`,
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(origin.port, origin.host);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new RawHttpTimeoutError(
          `no complete response to ${request.method} ${JSON.stringify(request.target)} within ${timeoutMs} ms`
        )
      );
    }, timeoutMs);
    let settled = false;
    let failure: Error | undefined;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(failure ?? error);
      }
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', finish);
    // The server may answer and close a connection whose request it refused before reading all
    // of it (EPIPE or ECONNRESET on our side): what it answered is still the answer.
    socket.on('error', (error) => {
      failure = error;
    });
    socket.on('close', finish);
    socket.write(Buffer.from(head, 'latin1'));
    if (request.body !== undefined && request.body.length > 0) socket.write(request.body);
  });
}

function parseResponse(bytes: Buffer): RawResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`incomplete response: ${JSON.stringify(bytes.toString('latin1'))}`);
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!Number.isInteger(status)) throw new Error(`bad status line: ${statusLine}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = bytes.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status, headers, body };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = bytes.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(bytes.subarray(offset, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** How to sign: the credentials, scope and date (defaults: the right ones, now). */
export interface RawSigning {
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
  /** @default - now */
  readonly signingDate?: Date;
  /** Headers to leave out of the signature (sent unsigned). @default - none */
  readonly unsignedHeaders?: readonly string[];
}

/**
 * Signs a raw request with SigV4 as API Gateway expects (`host` signed, path as sent), and
 * returns its header lines with `Authorization`, `X-Amz-Date` and `X-Amz-Content-Sha256` added.
 * Header values are signed as JavaScript strings, so a value carrying CR/LF is signed as one
 * value but sent as two lines: the server must see a mismatch.
 */
export async function signRaw(
  request: RawRequest & { readonly host: string },
  signing: RawSigning
): Promise<(readonly [string, string])[]> {
  const questionMark = request.target.indexOf('?');
  const path = questionMark < 0 ? request.target : request.target.slice(0, questionMark);
  const query: Record<string, string | string[]> = {};
  if (questionMark >= 0) {
    for (const [key, value] of new URLSearchParams(request.target.slice(questionMark + 1))) {
      const existing = query[key];
      query[key] =
        existing === undefined
          ? value
          : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
  }
  const unsigned = new Set((signing.unsignedHeaders ?? []).map((name) => name.toLowerCase()));
  const toSign: Record<string, string> = { host: request.host };
  for (const [name, value] of request.headers) {
    const lower = name.toLowerCase();
    if (!unsigned.has(lower)) {
      toSign[lower] = toSign[lower] === undefined ? value : `${toSign[lower]},${value}`;
    }
  }
  const signer = new SignatureV4({
    service: signing.service ?? 'execute-api',
    region: signing.region,
    credentials: signing.credentials,
    sha256: NodeSha256,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: request.host,
      path,
      query,
      headers: toSign,
      body: request.body,
    },
    { signingDate: signing.signingDate, unsignableHeaders: unsigned }
  );
  const added = Object.entries(signed.headers).filter(([name]) =>
    ['authorization', 'x-amz-date', 'x-amz-content-sha256'].includes(name.toLowerCase())
  );
  return [['Host', request.host], ...request.headers, ...added];
}
