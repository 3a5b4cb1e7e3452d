import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { dataIssues } from '../../../functions/ingest/validate-data.ts';
import type { ReceivedEvent } from '../../../functions/shared/cloudevents/parse-http.ts';
import {
  type ConsumerEvent,
  validateEventData,
} from '../../../functions/shared/consumer/consumer-event.ts';
import {
  type OrderPlaced,
  SHOP_EVENT_TYPES,
  shopEventSchemas,
} from '../../../functions/shop/schemas.ts';
import { PROJECT_ROOT } from '../../../lib/pipeline/bundled-function.ts';
import { ESBUILD_OPTIONS } from '../../../lib/pipeline/esbuild-bundling.ts';

const T = SHOP_EVENT_TYPES;
const placed: OrderPlaced = {
  orderId: 'o-1',
  customerId: 'c-1',
  items: [{ sku: 'sku-1', quantity: 1 }],
  total: { amount: 100, currency: 'EUR' },
};
const paid = (amount: unknown, currency: unknown = 'EUR') => ({
  orderId: 'o',
  paymentId: 'p',
  total: { amount, currency },
});
const item = (quantity: unknown) => ({ ...placed, items: [{ sku: 's', quantity }] });

/**
 * Invalid `data` of every shop type, with the issues (`path: message`) the shop schemas reported
 * when they were written with `zod` (4.6.7): the ingest's problem+json details and the consumers'
 * schema-violation reasons are made of these, so `zod/mini` must report exactly the same.
 */
const CASES: ReadonlyArray<readonly [string, string, unknown, readonly string[]]> = [
  ['data null', T.orderPlaced, null, ['(data): Invalid input: expected object, received null']],
  ['data array', T.orderPlaced, [], ['(data): Invalid input: expected object, received array']],
  [
    'data empty',
    T.orderPlaced,
    {},
    [
      'orderId: Invalid input: expected string, received undefined',
      'customerId: Invalid input: expected string, received undefined',
      'items: Invalid input: expected array, received undefined',
      'total: Invalid input: expected object, received undefined',
    ],
  ],
  [
    'identifier empty',
    T.orderPlaced,
    { ...placed, orderId: '' },
    ['orderId: Too small: expected string to have >=1 characters'],
  ],
  [
    'identifier too long',
    T.orderPlaced,
    { ...placed, customerId: 'x'.repeat(129) },
    ['customerId: Too big: expected string to have <=128 characters'],
  ],
  [
    'identifier number',
    T.orderPlaced,
    { ...placed, orderId: 5 },
    ['orderId: Invalid input: expected string, received number'],
  ],
  [
    'items empty',
    T.orderPlaced,
    { ...placed, items: [] },
    ['items: Too small: expected array to have >=1 items'],
  ],
  [
    'items too many',
    T.orderPlaced,
    { ...placed, items: Array.from({ length: 101 }, () => ({ sku: 's', quantity: 1 })) },
    ['items: Too big: expected array to have <=100 items'],
  ],
  [
    'quantity zero',
    T.orderPlaced,
    item(0),
    ['items.0.quantity: Too small: expected number to be >0'],
  ],
  [
    'quantity too big',
    T.orderPlaced,
    item(1001),
    ['items.0.quantity: Too big: expected number to be <=1000'],
  ],
  [
    'quantity fraction',
    T.orderPlaced,
    item(1.5),
    ['items.0.quantity: Invalid input: expected int, received number'],
  ],
  [
    'quantity string',
    T.orderPlaced,
    item('1'),
    ['items.0.quantity: Invalid input: expected number, received string'],
  ],
  [
    'quantity unsafe integer',
    T.orderPlaced,
    item(2 ** 60),
    [
      'items.0.quantity: Too big: expected int to be <=9007199254740991',
      'items.0.quantity: Too big: expected number to be <=1000',
    ],
  ],
  [
    'amount negative',
    T.orderPaid,
    paid(-1),
    ['total.amount: Too small: expected number to be >=0'],
  ],
  [
    'amount fraction',
    T.orderPaid,
    paid(0.5),
    ['total.amount: Invalid input: expected int, received number'],
  ],
  [
    'currency lowercase',
    T.orderPaid,
    paid(1, 'eur'),
    ['total.currency: Invalid string: must match pattern /^[A-Z]{3}$/'],
  ],
  [
    'total missing',
    T.paymentRequested,
    { orderId: 'o', paymentId: 'p' },
    ['total: Invalid input: expected object, received undefined'],
  ],
  [
    'reason too long',
    T.orderCancelled,
    { orderId: 'o', reason: 'r'.repeat(501) },
    ['reason: Too big: expected string to have <=500 characters'],
  ],
  [
    'reason null',
    T.orderCancelled,
    { orderId: 'o', reason: null },
    ['reason: Invalid input: expected string, received null'],
  ],
  [
    'carrier missing',
    T.orderShipped,
    { orderId: 'o', trackingNumber: 't' },
    ['carrier: Invalid input: expected string, received undefined'],
  ],
  [
    'sequence negative',
    T.shipmentTracked,
    { orderId: 'o', sequence: -1, location: 'x' },
    ['sequence: Too small: expected number to be >=0'],
  ],
  [
    'location too long',
    T.shipmentTracked,
    { orderId: 'o', sequence: 1, location: 'l'.repeat(201) },
    ['location: Too big: expected string to have <=200 characters'],
  ],
  [
    'many at once',
    T.orderPlaced,
    {
      orderId: '',
      customerId: 7,
      items: [{ sku: '', quantity: -2 }, { quantity: 1 }],
      total: { amount: 1.25, currency: 'eu' },
    },
    [
      'orderId: Too small: expected string to have >=1 characters',
      'customerId: Invalid input: expected string, received number',
      'items.0.sku: Too small: expected string to have >=1 characters',
      'items.0.quantity: Too small: expected number to be >0',
      'items.1.sku: Invalid input: expected string, received undefined',
      'total.amount: Invalid input: expected int, received number',
      'total.currency: Invalid string: must match pattern /^[A-Z]{3}$/',
    ],
  ],
];

/** What the consumers and the ingest report for `data` of `type`: one reason, ingest details. */
function report(type: string, data: unknown): { consumer: string; ingest: string[] } {
  const event = { type, data, id: 'e', source: '/s', specversion: '1.0', extensions: {} };
  let consumer = 'valid';
  try {
    validateEventData(event as ConsumerEvent, shopEventSchemas, false);
  } catch (error) {
    consumer = (error as Error).message;
  }
  const received = [{ event, structured: '' }] as unknown as ReceivedEvent[];
  const ingest = dataIssues(received, 'structured', shopEventSchemas).map((issue) => issue.detail);
  return { consumer, ingest };
}

/** The report expected from the issues `path: message`. */
function expected(type: string, issues: readonly string[]): { consumer: string; ingest: string[] } {
  return {
    consumer: `data of ${type} is invalid: ${issues.join('; ')}`,
    ingest: issues.map((issue) => {
      const [path = '', message] = issue.split(/: (.*)/s);
      const at = path === '(data)' ? 'data' : `data/${path.replaceAll('.', '/')}`;
      return `${at} does not match the schema of type '${type}': ${message}`;
    }),
  };
}

describe('shop schemas (zod/mini)', () => {
  it.each(CASES)('report %s as zod did', (_case, type, data, issues) => {
    expect(report(type, data)).toEqual(expected(type, issues));
  });

  it('keep valid data, dropping unknown keys as zod did', () => {
    const data = { ...placed, extra: 1, items: [{ sku: 's', quantity: 2, note: 'n' }] };
    const event = { type: T.orderPlaced, data, id: 'e', source: '/s', specversion: '1.0' };
    const parsed = validateEventData(
      { ...event, extensions: {} } as ConsumerEvent,
      shopEventSchemas,
      false
    );
    expect(parsed.data).toEqual({ ...placed, items: [{ sku: 's', quantity: 2 }] });
  });

  describe('bundled alone, as a function runs them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shop-schemas-bundle-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('report the same messages (zod/mini loads no locale: the function code sets it)', async () => {
      // Prepare: the report above, bundled with the functions' options and nothing of `zod`,
      // imported in a worker thread (a realm of its own, where no `zod` loaded elsewhere in
      // this process can have set the locale).
      const entry = `
        import { validateEventData } from './shared/consumer/consumer-event.ts';
        import { dataIssues } from './ingest/validate-data.ts';
        import { shopEventSchemas } from './shop/schemas.ts';
        export function report(type, data) {
          const event = { type, data, id: 'e', source: '/s', specversion: '1.0', extensions: {} };
          let consumer = 'valid';
          try { validateEventData(event, shopEventSchemas, false); } catch (error) { consumer = error.message; }
          const ingest = dataIssues([{ event, structured: '' }], 'structured', shopEventSchemas).map((issue) => issue.detail);
          return { consumer, ingest };
        }`;
      const result = buildSync({
        ...ESBUILD_OPTIONS,
        sourcemap: false,
        stdin: { contents: entry, resolveDir: join(PROJECT_ROOT, 'functions'), loader: 'ts' },
        outfile: join(dir, 'index.mjs'),
        metafile: true,
      });
      const inputs = Object.keys(result.metafile.inputs);
      expect(inputs.filter((file) => file.includes('node_modules/zod/v4/classic/'))).toEqual([]);
      const cases = CASES.map(([, type, data]) => [type, data]);
      writeFileSync(
        join(dir, 'run.mjs'),
        `import { parentPort, workerData } from 'node:worker_threads';
         import { report } from ${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)};
         parentPort.postMessage(workerData.map(([type, data]) => report(type, data)));`
      );

      // Act
      const worker = new Worker(join(dir, 'run.mjs'), { workerData: cases });
      const reports = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      await worker.terminate();

      // Assess
      expect(reports).toEqual(CASES.map(([, type, , issues]) => expected(type, issues)));
    });
  });
});
