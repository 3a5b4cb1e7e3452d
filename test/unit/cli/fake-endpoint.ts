/**
 * A tiny HTTP server on 127.0.0.1 that plays an endpoint the deploy commands probe: LocalStack's
 * health document and STS GetCallerIdentity (awsQuery protocol), or something that is not
 * LocalStack. No LocalStack emulator runs without Docker, so the tests use this instead.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REQUIRED_LOCALSTACK_SERVICES } from '../../../lib/cli/deploy/localstack-guard.ts';

/** How the fake answers. */
export interface FakeEndpointOptions {
  /** Status of `GET /_localstack/health`. @default 200 */
  readonly healthStatus?: number;
  /** Body of `GET /_localstack/health`. @default a LocalStack 4 health document */
  readonly healthBody?: string;
  /** Account STS GetCallerIdentity returns; `undefined` answers STS with HTTP 500. @default '000000000000' */
  readonly account?: string | undefined;
}

/** A running fake endpoint and what it was asked. */
export interface FakeEndpoint {
  readonly url: string;
  /** `METHOD path [Action=…]` of every request, in order. */
  readonly requests: string[];
  /** Access key ids of the signed (STS) requests. */
  readonly accessKeyIds: string[];
  close(): Promise<void>;
}

/** A LocalStack 4 health document with every service the pipeline needs. */
export function localStackHealth(overrides: Record<string, string> = {}): string {
  const services = Object.fromEntries(
    REQUIRED_LOCALSTACK_SERVICES.map((name) => [name, 'available'])
  );
  return JSON.stringify({
    services: { ...services, ...overrides },
    edition: 'community',
    version: '4.9.0',
  });
}

function stsResponse(account: string): string {
  return `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <Arn>arn:aws:iam::${account}:root</Arn>
    <UserId>${account}</UserId>
    <Account>${account}</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata><RequestId>fake-request</RequestId></ResponseMetadata>
</GetCallerIdentityResponse>`;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the fake on a free loopback port. */
export async function startFakeEndpoint(options: FakeEndpointOptions = {}): Promise<FakeEndpoint> {
  const requests: string[] = [];
  const accessKeyIds: string[] = [];
  const server: Server = createServer(async (request, response) => {
    const body = await bodyOf(request);
    const action = new URLSearchParams(body).get('Action');
    requests.push(`${request.method} ${request.url}${action ? ` Action=${action}` : ''}`);
    const credential = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '');
    if (credential?.[1]) accessKeyIds.push(credential[1]);
    if (request.method === 'GET' && request.url === '/_localstack/health') {
      response.writeHead(options.healthStatus ?? 200, { 'content-type': 'application/json' });
      response.end(options.healthBody ?? localStackHealth());
      return;
    }
    if (request.method === 'POST' && action === 'GetCallerIdentity') {
      const account = 'account' in options ? options.account : '000000000000';
      if (account === undefined) {
        response.writeHead(500, { 'content-type': 'text/xml' });
        response.end(
          '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>boom</Message></Error></ErrorResponse>'
        );
        return;
      }
      response.writeHead(200, { 'content-type': 'text/xml' });
      response.end(stsResponse(account));
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    accessKeyIds,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A loopback URL nothing listens on (a port that was just free). */
export async function closedEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
