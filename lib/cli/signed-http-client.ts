import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from './sha256.ts';

/** Options of {@link SignedHttpClient}. */
export interface SignedHttpClientProps {
  /** Base URL of the API stage, e.g. `http://127.0.0.1:4000/prod/`. */
  readonly baseUrl: string;
  /** Region the API lives in (part of the signature scope). */
  readonly region: string;
  /**
   * Credentials to sign with.
   *
   * @default - the standard AWS credential chain (environment, profile, SSO, instance role)
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Give up on a request after this long, in milliseconds. @default 30000 */
  readonly timeoutMs?: number;
}

/** One HTTP request to the ingest API. */
export interface SignedRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path relative to the stage, e.g. `topics/orders/events`; may carry a query string. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Uint8Array;
  /** Send without a signature (to check that the API refuses it). @default false */
  readonly unsigned?: boolean;
}

/** What came back. */
export interface SignedResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The raw body text. */
  readonly text: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  readonly json: unknown;
}

/**
 * An HTTP client for the pipeline's IAM-authorized REST API: signs every request with SigV4
 * (service `execute-api`), as API Gateway requires for `AWS_IAM` methods.
 *
 * @example
 * const client = new SignedHttpClient({ baseUrl: outputs.apiUrl, region: 'us-east-1' });
 * await client.request({ method: 'GET', path: 'events/123' });
 */
export class SignedHttpClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;

  constructor(private readonly props: SignedHttpClientProps) {
    this.base = new URL(props.baseUrl.endsWith('/') ? props.baseUrl : `${props.baseUrl}/`);
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: props.region,
      credentials: props.credentials ?? defaultProvider(),
      sha256: NodeSha256,
    });
  }

  /** Sends a request, signed unless `unsigned` is set. */
  async request(request: SignedRequest): Promise<SignedResponse> {
    const url = new URL(request.path.replace(/^\//, ''), this.base);
    const body = request.body;
    const headers: Record<string, string> = { host: url.host, ...lowercaseKeys(request.headers) };
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) query[key] = value;
    let signedHeaders = headers;
    if (!request.unsigned) {
      const signed = await this.signer.sign({
        method: request.method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port ? Number(url.port) : undefined,
        // API Gateway signs the path as sent (already URI-encoded); the signer encodes it again.
        path: url.pathname,
        query,
        headers,
        body,
      });
      signedHeaders = signed.headers;
    }
    // fetch sets Host itself; passing it again is refused.
    const { host: _host, ...sendHeaders } = signedHeaders;
    const response = await fetch(url, {
      method: request.method,
      headers: sendHeaders,
      body: body === undefined ? undefined : typeof body === 'string' ? body : Buffer.from(body),
      signal: AbortSignal.timeout(this.props.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: parseJson(text) };
  }
}

function lowercaseKeys(headers: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
