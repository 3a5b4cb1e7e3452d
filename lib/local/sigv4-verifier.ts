/**
 * Checks the AWS Signature Version 4 of an incoming request the way API Gateway does for
 * `AWS_IAM` methods: parses the `Authorization` header, checks the credential scope, the
 * access key and the clock skew, then recomputes the signature with `@smithy/signature-v4`
 * over exactly the headers the client signed and the body actually received, and compares the
 * two in constant time.
 *
 * Error types and messages are API Gateway's, so that a client sees the same 403 locally as on
 * AWS.
 *
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../cli/sha256.ts';

/** How far the request's `X-Amz-Date` may be from the server's clock (AWS allows 15 minutes). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The parts of an HTTP request a signature covers. */
export interface SigV4Request {
  readonly method: string;
  /** The request target as received: path (still percent-encoded) and query string. */
  readonly url: string;
  /** Headers by lowercase name; repeated headers as a list, in order. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body as received. */
  readonly body: Uint8Array;
}

/** What to verify against. */
export interface SigV4VerifierOptions {
  /** The region the credential scope must name. */
  readonly region: string;
  /** The service the credential scope must name. @default 'execute-api' */
  readonly service?: string;
  /** The only credentials accepted. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** @default MAX_CLOCK_SKEW_MS */
  readonly maxClockSkewMs?: number;
  /** Clock, for tests. @default - the system clock */
  readonly now?: () => Date;
}

/** The verdict: the caller's access key, or API Gateway's error type and message. */
export type SigV4Verdict =
  | { readonly ok: true; readonly accessKeyId: string }
  | { readonly ok: false; readonly errorType: string; readonly message: string };

/** The fields of an `Authorization: AWS4-HMAC-SHA256 …` header. */
interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly scopeTerminator: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/** Verifies the SigV4 signature of `request`. */
export async function verifySigV4(
  request: SigV4Request,
  options: SigV4VerifierOptions
): Promise<SigV4Verdict> {
  const service = options.service ?? 'execute-api';
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    // Repeated headers are signed as their values joined by commas.
    return typeof value === 'string' ? value : value?.join(',');
  };
  const authorization = header('authorization');
  if (authorization === undefined || authorization.trim() === '') {
    return deny('MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const parsed = parseAuthorization(authorization);
  const amzDate = header('x-amz-date');
  if (typeof parsed === 'string' || amzDate === undefined) {
    const missing = [
      ...(typeof parsed === 'string' ? [parsed] : []),
      ...(amzDate === undefined
        ? ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]
        : []),
    ];
    return deny(
      'IncompleteSignatureException',
      `${missing.join(' ')} Authorization=${authorization}`
    );
  }
  const signingDate = parseAmzDate(amzDate);
  if (signingDate === undefined) {
    return deny('IncompleteSignatureException', `Invalid X-Amz-Date header: ${amzDate}`);
  }

  const now = options.now?.() ?? new Date();
  const skew = options.maxClockSkewMs ?? MAX_CLOCK_SKEW_MS;
  if (signingDate.getTime() < now.getTime() - skew) {
    return deny(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(new Date(now.getTime() - skew))} (${formatAmzDate(now)} - ${skew / 60_000} min.)`
    );
  }
  if (signingDate.getTime() > now.getTime() + skew) {
    return deny(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(new Date(now.getTime() + skew))} (${formatAmzDate(now)} + ${skew / 60_000} min.)`
    );
  }

  if (parsed.accessKeyId !== options.credentials.accessKeyId) {
    return deny(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.'
    );
  }
  if (parsed.scopeDate !== amzDate.slice(0, 8)) {
    return deny(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${parsed.scopeDate}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`
    );
  }
  if (parsed.scopeRegion !== options.region) {
    return deny(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${parsed.scopeRegion}'.`
    );
  }
  if (parsed.scopeService !== service) {
    return deny(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${service}'.`
    );
  }
  if (parsed.scopeTerminator !== 'aws4_request') {
    return deny(
      'InvalidSignatureException',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${parsed.scopeTerminator}'.`
    );
  }
  if (!parsed.signedHeaders.includes('host')) {
    return deny(
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
    );
  }

  // A declared payload hash must be the hash of the body received: otherwise a body could be
  // swapped under a valid signature.
  const declaredHash = header('x-amz-content-sha256');
  const bodyHash = createHash('sha256').update(request.body).digest('hex');
  if (declaredHash !== undefined && declaredHash !== bodyHash) {
    return deny(
      'InvalidSignatureException',
      "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
  }

  const expected = await expectedSignature(request, parsed, signingDate, header, options, service);
  return signaturesMatch(expected, parsed.signature)
    ? { ok: true, accessKeyId: parsed.accessKeyId }
    : deny('InvalidSignatureException', SIGNATURE_MISMATCH);
}

/** Recomputes the signature over the signed headers only, with the body's own hash. */
async function expectedSignature(
  request: SigV4Request,
  parsed: ParsedAuthorization,
  signingDate: Date,
  header: (name: string) => string | undefined,
  options: SigV4VerifierOptions,
  service: string
): Promise<string> {
  const headers: Record<string, string> = {};
  for (const name of parsed.signedHeaders) {
    const value = header(name);
    if (value !== undefined) headers[name] = value;
  }
  const { path, query } = splitTarget(request.url);
  const signer = new SignatureV4({
    service,
    region: options.region,
    credentials: options.credentials,
    sha256: NodeSha256,
    // Add nothing the client did not sign.
    applyChecksum: false,
    // Every service but S3 signs the percent-encoded path encoded once more.
    uriEscapePath: true,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: '',
      path,
      query,
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(parsed.signedHeaders) }
  );
  const authorization = String(signed.headers.authorization ?? '');
  return /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
}

/** Splits a request target into its raw path and its decoded query parameters. */
function splitTarget(url: string): { path: string; query: Record<string, string | string[]> } {
  const questionMark = url.indexOf('?');
  const path = questionMark < 0 ? url : url.slice(0, questionMark);
  const query: Record<string, string | string[]> = {};
  if (questionMark >= 0) {
    for (const pair of url.slice(questionMark + 1).split('&')) {
      if (pair === '') continue;
      const equals = pair.indexOf('=');
      const key = decode(equals < 0 ? pair : pair.slice(0, equals));
      const value = equals < 0 ? '' : decode(pair.slice(equals + 1));
      const existing = query[key];
      query[key] =
        existing === undefined
          ? value
          : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
  }
  return { path, query };
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
}

/** Parses the `Authorization` header, or returns what API Gateway says is missing. */
function parseAuthorization(value: string): ParsedAuthorization | string {
  const trimmed = value.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    return `Authorization header requires '${ALGORITHM}' as the signing algorithm.`;
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const missing = [
    ...(credential ? [] : ["Authorization header requires 'Credential' parameter."]),
    ...(signature ? [] : ["Authorization header requires 'Signature' parameter."]),
    ...(signedHeaders ? [] : ["Authorization header requires 'SignedHeaders' parameter."]),
  ];
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    return missing.join(' ');
  }
  const scope = credential.split('/');
  if (scope.length !== 5) {
    return `Credential should have exactly 5 slash-separated components: '${credential}'.`;
  }
  const [
    accessKeyId = '',
    scopeDate = '',
    scopeRegion = '',
    scopeService = '',
    scopeTerminator = '',
  ] = scope;
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    scopeTerminator,
    signedHeaders: signedHeaders.split(';').map((name) => name.trim().toLowerCase()),
    signature,
  };
}

/** Parses `YYYYMMDDTHHMMSSZ`. */
function parseAmzDate(value: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number);
  const date = new Date(
    Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 0, hour ?? 0, minute ?? 0, second ?? 0)
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function formatAmzDate(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function signaturesMatch(expected: string, provided: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(provided) || expected.length !== provided.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(provided, 'hex'));
}

function deny(errorType: string, message: string): SigV4Verdict {
  return { ok: false, errorType, message };
}
