import type { APIGatewayProxyEvent } from 'aws-lambda';
import { BadRequestError } from '../shared/http/http-errors.ts';

/**
 * The request headers with lowercase names (HTTP header names are case-insensitive; API Gateway
 * passes them as the client sent them).
 */
export function lowercaseHeaders(event: APIGatewayProxyEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  return headers;
}

/** Every value of a header (API Gateway's `multiValueHeaders`), by case-insensitive name. */
export function headerValues(event: APIGatewayProxyEvent, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && list) values.push(...list);
  }
  if (values.length === 0) {
    const single = lowercaseHeaders(event)[wanted];
    if (single !== undefined) values.push(single);
  }
  return values;
}

/** The raw request body bytes (base64-decoded when API Gateway encoded it). */
export function bodyBytes(event: APIGatewayProxyEvent): Buffer {
  if (event.body === null || event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded
    ? Buffer.from(event.body, 'base64')
    : Buffer.from(event.body, 'utf8');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes the body as UTF-8.
 *
 * @throws BadRequestError when the bytes are not UTF-8
 */
export function bodyText(bytes: Buffer): string {
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    throw new BadRequestError(
      'bad-encoding',
      'Bad encoding',
      'the request body is not valid UTF-8',
      {
        cause: error,
      }
    );
  }
}

/**
 * The status URL of an event:
 * `${proto}://${Host}/${stage}/events/${id}?source=${source}` (proto from `X-Forwarded-Proto`,
 * `https` when absent).
 */
export function statusUrl(event: APIGatewayProxyEvent, id: string, source: string): string {
  const headers = lowercaseHeaders(event);
  const proto = headers['x-forwarded-proto']?.split(',')[0]?.trim() || 'https';
  const host = headers.host ?? event.requestContext?.domainName ?? 'localhost';
  const stage = event.requestContext?.stage ?? '';
  const prefix = stage ? `/${stage}` : '';
  return `${proto}://${host}${prefix}/events/${encodeURIComponent(id)}?source=${encodeURIComponent(source)}`;
}
