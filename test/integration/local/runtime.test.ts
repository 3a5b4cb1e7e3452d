/**
 * The whole local runtime: synth (through the CDK CLI), emulators, provisioning, function
 * hosts, pollers, REST API, outputs file, hot swap and stop. Everything is checked from the
 * outside: the outputs file, HTTP, the AWS SDK and the runtime's log.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTPUT_KEYS } from '../../../functions/shared/contract.ts';
import { SignedHttpClient } from '../../../lib/cli/signed-http-client.ts';
import { LocalRuntime } from '../../../lib/local/runtime.ts';

const PROJECT = resolve(import.meta.dirname, '../../..');
const FAKE_APP = resolve(
  import.meta.dirname,
  '../../fixtures/assemblies/fake-app/copy-assembly.mjs'
);
const LOCAL = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
} as const;

/** Collects the runtime's log and waits for lines. */
class LogSpy {
  public readonly lines: string[] = [];
  public readonly log = (line: string) => {
    this.lines.push(line);
  };

  public async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line));
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `no log line matched ${pattern} within ${timeoutMs} ms:\n${this.lines.join('\n')}`
        );
      }
      await new Promise((done) => setTimeout(done, 50));
    }
  }
}

function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((done) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
    socket.connect(Number(port), hostname);
  });
}

describe('LocalRuntime on a stand-in app (the shop-like fixture assembly)', () => {
  let project: string;
  let runtime: LocalRuntime;
  const spy = new LogSpy();

  beforeAll(async () => {
    project = await mkdtemp(join(tmpdir(), 'runtime-project-'));
    await mkdir(join(project, 'functions'));
    await mkdir(join(project, 'lib'));
    await writeFile(join(project, 'functions', 'marker.txt'), 'v1');
    await writeFile(
      join(project, 'cdk.json'),
      JSON.stringify({
        app: `node ${FAKE_APP}`,
        notices: false,
        context: { 'cli-telemetry': false },
      })
    );
    runtime = await LocalRuntime.start({ projectDir: project, port: 0, watch: true, log: spy.log });
  }, 120_000);

  afterAll(async () => {
    await runtime?.stop();
    await rm(project, { recursive: true, force: true });
  });

  it('writes the outputs file in the cdk deploy --outputs-file shape, API URL pointing at the local server', async () => {
    // Act
    const outputs = JSON.parse(await readFile(join(project, 'outputs', 'local.json'), 'utf8'));

    // Assess
    expect(Object.keys(outputs)).toEqual(['ShopLike']);
    expect(outputs.ShopLike.ApiUrl).toBe(`${runtime.summary.apiBaseUrl}live/`);
    expect(outputs.ShopLike.ApiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/live\/$/);
    expect(outputs.ShopLike.TableName).toBe('ShopLike-TableCD117FA1');
    expect(JSON.parse(outputs.ShopLike.Consumers).worker.queueUrl).toMatch(
      new RegExp(`^${runtime.summary.endpoints.sqs}/000000000000/ShopLike-WorkQueue94013F35$`)
    );
  });

  it('announces itself to the CLI in .state/runtime.json', async () => {
    // Act
    const state = JSON.parse(await readFile(join(project, '.state', 'runtime.json'), 'utf8'));

    // Assess
    expect(state).toEqual({
      pid: process.pid,
      endpoints: runtime.summary.endpoints,
      deliveriesFile: join(project, '.state', 'deliveries.jsonl'),
    });
  });

  it('prints the endpoints, what it does not run, and a ready line', () => {
    // Assess
    const log = spy.lines.join('\n');
    expect(log).toContain(`api       ${runtime.summary.apiBaseUrl}live/`);
    expect(log).toMatch(/not run locally: .*AWS::KMS::Key ×1.*AWS::CloudWatch::Alarm ×1/);
    expect(log).toMatch(/^ready in \d+\.\d s/m);
  });

  it('serves the REST API through the function, and refuses unsigned requests to IAM methods', async () => {
    // Prepare
    const base = runtime.summary.apiBaseUrl;

    // Act
    const open = await fetch(`${base}live/health`);
    const guarded = await fetch(`${base}live/events/1`);

    // Assess
    expect(open.status).toBe(200);
    expect(await open.json()).toEqual({ marker: 'v1', path: '/health' });
    expect(guarded.status).toBe(403);
  });

  it('delivers queued messages to the function and logs each delivery', async () => {
    // Prepare
    const sqs = new SQSClient({ ...LOCAL, endpoint: runtime.summary.endpoints.sqs });
    const id = randomUUID();

    // Act
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: `${runtime.summary.endpoints.sqs}/000000000000/ShopLike-WorkQueue94013F35`,
        MessageBody: JSON.stringify({ id, type: 'test' }),
      })
    );

    // Assess
    try {
      await spy.waitFor(
        new RegExp(
          `^delivery  event=${id} subscriber=ShopLike-Worker11F36D0F outcome=succeeded attempt=1$`
        )
      );
      // …and journals it for `pipeline tail` (the journal is written as the log line is).
      const journal = await readFile(join(project, '.state', 'deliveries.jsonl'), 'utf8');
      const entries = journal
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { eventId: string; outcome: string; attempt: number });
      expect(entries.find((entry) => entry.eventId === id)).toMatchObject({
        outcome: 'succeeded',
        attempt: 1,
      });
    } finally {
      sqs.destroy();
    }
  });

  it('hot-swaps a changed function without losing the messages queued meanwhile', async () => {
    // Prepare
    const sqs = new SQSClient({ ...LOCAL, endpoint: runtime.summary.endpoints.sqs });
    const id = randomUUID();

    // Act: change the function, and queue a message while the runtime reloads.
    await writeFile(join(project, 'functions', 'marker.txt'), 'v2');
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: `${runtime.summary.endpoints.sqs}/000000000000/ShopLike-WorkQueue94013F35`,
        MessageBody: JSON.stringify({ id }),
      })
    );
    await spy.waitFor(/^reloaded in .*swapped ShopLike-Worker11F36D0F/, 60_000);
    const response = await fetch(`${runtime.summary.apiBaseUrl}live/health`);

    // Assess
    try {
      expect(await response.json()).toEqual({ marker: 'v2', path: '/health' });
      await spy.waitFor(new RegExp(`^delivery  event=${id} .*outcome=succeeded`));
    } finally {
      sqs.destroy();
    }
  });

  it('stops every server it started and removes its state file', async () => {
    // Prepare
    const { apiBaseUrl, endpoints } = runtime.summary;

    // Act
    await runtime.stop();

    // Assess
    expect(await accepts(apiBaseUrl)).toBe(false);
    expect(await accepts(endpoints.sqs)).toBe(false);
    expect(await accepts(endpoints.dynamodb)).toBe(false);
    expect(existsSync(join(project, '.state', 'runtime.json'))).toBe(false);
  });
});

describe('LocalRuntime on the real app', () => {
  let scratch: string;
  let runtime: LocalRuntime;
  const spy = new LogSpy();

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'runtime-real-'));
    runtime = await LocalRuntime.start({
      projectDir: PROJECT,
      port: 0,
      watch: false,
      outputsFile: join(scratch, 'local.json'),
      stateFile: join(scratch, 'runtime.json'),
      log: spy.log,
    });
  }, 300_000);

  afterAll(async () => {
    await runtime?.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  it('writes the outputs every target writes, and the resources they name exist', async () => {
    // Prepare
    const outputs = JSON.parse(await readFile(join(scratch, 'local.json'), 'utf8'));
    const [stackName] = Object.keys(outputs);
    const values = outputs[stackName ?? ''];
    const sqs = new SQSClient({ ...LOCAL, endpoint: runtime.summary.endpoints.sqs });
    const dynamo = new DynamoDBClient({ ...LOCAL, endpoint: runtime.summary.endpoints.dynamodb });

    try {
      // Act
      const consumers = JSON.parse(values[OUTPUT_KEYS.consumers]) as Record<
        string,
        { queueUrl: string; deadLetterQueueUrl: string }
      >;
      const { Table } = await dynamo.send(
        new DescribeTableCommand({ TableName: values[OUTPUT_KEYS.tableName] })
      );
      const queues = await Promise.all(
        Object.values(consumers).flatMap(({ queueUrl, deadLetterQueueUrl }) =>
          [queueUrl, deadLetterQueueUrl].map((url) =>
            sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))
          )
        )
      );

      // Assess
      expect(Object.keys(outputs)).toHaveLength(1);
      expect(values[OUTPUT_KEYS.apiUrl]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]+\/$/);
      expect(values[OUTPUT_KEYS.region]).toBe('us-east-1');
      expect(Table?.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
      expect(Object.keys(consumers).length).toBeGreaterThan(0);
      expect(queues.every((queue) => queue.Attributes?.QueueArn?.startsWith('arn:aws:sqs:'))).toBe(
        true
      );
    } finally {
      sqs.destroy();
      dynamo.destroy();
    }
  });

  it('answers an unsigned request with the template gateway response, a 403 problem', async () => {
    // Prepare
    const outputs = JSON.parse(await readFile(join(scratch, 'local.json'), 'utf8'));
    const values = Object.values(outputs)[0] as Record<string, string>;

    // Act
    const response = await fetch(`${values[OUTPUT_KEYS.apiUrl]}topics/orders/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: '{}',
    });

    // Assess
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(await response.json()).toMatchObject({
      status: 403,
      title: 'Missing authentication token',
      detail: 'Missing Authentication Token',
      responseType: 'MISSING_AUTHENTICATION_TOKEN',
    });
  });

  it('takes a signed event through ingest to the subscribers, logging their deliveries', async () => {
    // Prepare
    const outputs = JSON.parse(await readFile(join(scratch, 'local.json'), 'utf8'));
    const values = Object.values(outputs)[0] as Record<string, string>;
    const http = new SignedHttpClient({ baseUrl: values[OUTPUT_KEYS.apiUrl] ?? '', ...LOCAL });
    const id = randomUUID();

    // Act
    const response = await http.request({
      method: 'POST',
      path: 'topics/orders/events',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({
        specversion: '1.0',
        id,
        source: 'urn:test:runtime',
        type: 'com.example.order.placed',
        datacontenttype: 'application/json',
        data: {
          orderId: `o-${id}`,
          customerId: 'c-1',
          items: [{ sku: 'sku-1', quantity: 2 }],
          total: { amount: 1999, currency: 'EUR' },
        },
      }),
    });

    // Assess
    expect(response.status).toBe(202);
    await spy.waitFor(
      new RegExp(`^delivery  event=${id} subscriber=audit outcome=succeeded attempt=1$`)
    );
    await spy.waitFor(
      new RegExp(`^delivery  event=${id} subscriber=inventory outcome=succeeded attempt=1$`)
    );
  });
});
