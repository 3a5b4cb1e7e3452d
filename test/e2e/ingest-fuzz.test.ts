/**
 * Hostile input against the running ingest, over real HTTP (raw HTTP/1.1 sockets, so that bytes
 * `fetch` refuses can be sent): malformed JSON, wrong content types, invalid CloudEvents
 * attributes, huge and deeply nested bodies, bad encodings, batch edge cases, binary-mode
 * headers, Idempotency-Key garbage, header injection, bad signatures, odd paths and methods,
 * with valid events mixed in.
 *
 * For every response: 202 (or 200 for a status read), else a 4xx `application/problem+json`;
 * never a 5xx, never a hang. At the end: no rejected event left a trace (no status, no audit
 * effect), and every accepted one was processed.
 *
 * The seed is fixed; `FUZZ_RUNS` (default {@link DEFAULT_RUNS}) sets the number of cases and
 * `FUZZ_SEED` another seed, e.g. `FUZZ_RUNS=10000 npx vitest run --project e2e
 * test/e2e/ingest-fuzz.test.ts`.
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_KEYS } from '../../functions/shared/contract.ts';
import { shopKeys } from '../../functions/shop/shop-store.ts';
import { connectPipeline, type Pipeline } from './support/pipeline-client.ts';
import { waitUntilDrained } from './support/queues.ts';
import {
  RawHttpTimeoutError,
  type RawRequest,
  type RawResponse,
  type RawSigning,
  sendRaw,
  signRaw,
} from './support/raw-http.ts';
import { orderPlaced } from './support/shop-events.ts';

/** Cases run by `npm test`. */
const DEFAULT_RUNS = 1000;
const RUNS = Number(process.env.FUZZ_RUNS ?? DEFAULT_RUNS);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
/** Requests in flight at once (one property run sends this many cases concurrently). */
const CONCURRENCY = 6;
/** A response slower than this is a hang. */
const REQUEST_TIMEOUT_MS = 20_000;
/** Source of every fuzz event, unique per run so that reruns never collide. */
const FUZZ_SOURCE = `urn:fuzz:${randomUUID()}`;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const ONE_MIB = 1024 * 1024;

// ---- the model of a case ------------------------------------------------------------------

/** How a request is signed. */
type AuthMode =
  | 'valid'
  | 'none'
  | 'wrong-secret'
  | 'unknown-key'
  | 'wrong-region'
  | 'wrong-service'
  | 'stale'
  | 'future'
  | 'tampered-body'
  | 'no-date'
  | 'garbage';

/** An event a request carries, as the test tracks it. */
interface Tracked {
  readonly id: string;
  readonly source: string;
}

/** One request of a case, built for a case number. */
interface Built {
  readonly method: string;
  /** Path after the stage, raw (may carry any byte). */
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  readonly auth: AuthMode;
  /** Headers sent but left out of the signature. */
  readonly unsigned?: readonly string[];
  /** The events the request carries (string id and source only). */
  readonly events: readonly Tracked[];
}

/** A generated case: a category, and its requests for a case number (sent in order). */
interface FuzzCase {
  readonly category: string;
  build(caseNo: number): Built[];
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---- events -------------------------------------------------------------------------------

const idOf = (caseNo: number, k: number) => `fz${caseNo}-${k}`;
const sku = fc.stringMatching(/^[a-z0-9-]{1,12}$/);
const money = fc.record({
  amount: fc.nat({ max: 1_000_000 }),
  currency: fc.constantFrom('EUR', 'USD', 'JPY'),
});

/** Valid shop data by type, for the `orders` stream. */
const orderEvent = fc.oneof(
  fc.record({
    type: fc.constant('com.example.order.placed'),
    data: fc.record({
      orderId: sku,
      customerId: sku,
      items: fc.array(fc.record({ sku, quantity: fc.integer({ min: 1, max: 1000 }) }), {
        minLength: 1,
        maxLength: 3,
      }),
      total: money,
    }),
  }),
  fc.record({
    type: fc.constant('com.example.order.paid'),
    data: fc.record({ orderId: sku, paymentId: sku, total: money }),
  }),
  // No `cancelled`: the inventory dead-letters a cancellation of an order it never saw, by design.
  // A type without a schema: accepted as it is, audited.
  fc.record({
    type: fc.stringMatching(/^com\.fuzz\.[a-z]{1,10}$/),
    data: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  })
);

/** Where a valid event goes, with what it needs there. */
const destination = fc.constantFrom('orders', 'orders', 'orders', 'tracking', 'payments');

/** A valid event (without id) for a destination, as a plain JSON object. */
function validEvent(target: string): fc.Arbitrary<Record<string, Json>> {
  const base = {
    specversion: fc.constant('1.0'),
    source: fc.constantFrom(FUZZ_SOURCE),
    time: fc.option(fc.constantFrom('2026-11-25T10:00:00Z', '2026-11-25T10:00:00.123+01:00'), {
      nil: undefined,
    }),
    subject: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
  };
  const strip = (event: Record<string, Json | undefined>) =>
    Object.fromEntries(Object.entries(event).filter(([, value]) => value !== undefined)) as Record<
      string,
      Json
    >;
  if (target === 'tracking') {
    return fc
      .record({
        ...base,
        order: sku,
        sequence: fc.nat({ max: 50 }),
      })
      .map(({ order, sequence, ...rest }) =>
        strip({
          ...rest,
          type: 'com.example.shipment.tracked',
          partitionkey: `o-${order}`,
          data: { orderId: `o-${order}`, sequence, location: 'hub' },
        })
      );
  }
  if (target === 'payments') {
    return fc
      .record({ ...base, paymentId: sku, orderId: sku, total: money })
      .map(({ paymentId, orderId, total, ...rest }) =>
        strip({
          ...rest,
          type: 'com.example.payment.requested',
          data: { paymentId, orderId, total },
        })
      );
  }
  return fc
    .record({ ...base, event: orderEvent })
    .map(({ event, ...rest }) => strip({ ...rest, type: event.type, data: event.data }));
}

const publishPath = (target: string) =>
  target === 'payments' ? 'queues/payments/messages' : `topics/${target}/events`;

/**
 * Any UTF-16 code unit (lone surrogates included), but no astral character: fauxqs 2.4.1 refuses
 * code points over U+FFFF in a message body (SQS accepts U+10000 to U+10FFFF), so a valid event
 * carrying one is a local-only publish failure (503), not a pipeline bug.
 */
const bmpCharacter = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** Weird values for an attribute. */
const weirdValue: fc.Arbitrary<Json | undefined> = fc.oneof<fc.Arbitrary<Json | undefined>[]>(
  fc.constant(undefined),
  fc.constant(null),
  fc.constant(''),
  fc.integer(),
  fc.double({ noNaN: true }).map((value) => (Number.isFinite(value) ? value : 1.5)),
  fc.boolean(),
  fc.constant({}),
  fc.constant([]),
  fc.constant(['1.0']),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: bmpCharacter, maxLength: 12 }),
  fc.constantFrom(
    ' 1.0',
    '0.3',
    '2.0',
    'not a uri with spaces',
    '::',
    '%zz',
    'http://[bad',
    '\\back\\slash',
    'yesterday',
    '2026-13-45T99:00:00Z',
    '\u0000nul',
    'line\nbreak',
    '\ud800lone',
    '\uffffnonchar',
    'é'.repeat(3),
    'x'.repeat(5000)
  )
);

/** An invalid (or possibly invalid) variation of a valid event. */
function mutate(event: Record<string, Json>): fc.Arbitrary<Record<string, Json>> {
  const set = (name: string, value: Json | undefined) => {
    const copy: Record<string, Json> = { ...event };
    if (value === undefined) delete copy[name];
    else copy[name] = value;
    return copy;
  };
  return fc.oneof(
    fc
      .tuple(
        fc.constantFrom(
          'id',
          'source',
          'specversion',
          'type',
          'time',
          'subject',
          'datacontenttype',
          'dataschema',
          'data_base64',
          'partitionkey'
        ),
        weirdValue
      )
      .map(([name, value]) => set(name, value)),
    // Extension names and values.
    fc
      .tuple(
        fc.oneof(
          fc.constantFrom('Bad', 'with-dash', 'under_score', 'ünï', '', 'a'.repeat(40), '$ref'),
          fc.stringMatching(/^[a-z0-9]{1,20}$/)
        ),
        weirdValue
      )
      .map(([name, value]) => set(name, value ?? 'x')),
    // Data that breaks the type's schema.
    weirdValue.map((value) => set('data', value ?? { orderId: 7 })),
    fc.constant(set('data_base64', 'aGVsbG8=')),
    // Too many extensions for the message attribute limit.
    fc.constant({
      ...event,
      ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`ext${i}`, `v${i}`])),
    })
  );
}

// ---- case generators ----------------------------------------------------------------------

const JSON_TYPES = {
  structured: 'application/cloudevents+json',
  batch: 'application/cloudevents-batch+json',
} as const;

/** Header lines of a request, with the content type first when there is one. */
function headersWith(
  contentType: string | undefined,
  extra: readonly (readonly [string, string])[] = []
) {
  return [...(contentType === undefined ? [] : [['Content-Type', contentType] as const]), ...extra];
}

const withIds = (event: Record<string, Json>, id: string) =>
  'id' in event ? { ...event } : { ...event, id };

/** Events of a body that the test can track (string id and source). */
function trackable(events: readonly unknown[]): Tracked[] {
  return events.flatMap((event) => {
    if (typeof event !== 'object' || event === null || Array.isArray(event)) return [];
    const { id, source } = event as { id?: unknown; source?: unknown };
    // Ids and sources that are not well-formed UTF-16 cannot be named in a URL to look them up.
    return typeof id === 'string' &&
      id !== '' &&
      id.isWellFormed() &&
      typeof source === 'string' &&
      source !== '' &&
      source.isWellFormed()
      ? [{ id, source }]
      : [];
  });
}

/** Valid structured events. */
const validStructured: fc.Arbitrary<FuzzCase> = destination.chain((target) =>
  validEvent(target).map((event) => ({
    category: 'valid-structured',
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0) };
      return [
        {
          method: 'POST',
          path: publishPath(target),
          headers: headersWith(JSON_TYPES.structured),
          body: Buffer.from(JSON.stringify(full)),
          auth: 'valid' as const,
          events: trackable([full]),
        },
      ];
    },
  }))
);

/** Valid batches of 1 to 5 events. */
const validBatch: fc.Arbitrary<FuzzCase> = fc
  .array(validEvent('orders'), { minLength: 1, maxLength: 5 })
  .map((events) => ({
    category: 'valid-batch',
    build: (caseNo: number) => {
      const full = events.map((event, k) => ({ ...event, id: idOf(caseNo, k) }));
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(JSON_TYPES.batch),
          body: Buffer.from(JSON.stringify(full)),
          auth: 'valid' as const,
          events: trackable(full),
        },
      ];
    },
  }));

/** Structured events with one attribute broken. */
const invalidAttributes: fc.Arbitrary<FuzzCase> = destination.chain((target) =>
  validEvent(target)
    .chain(mutate)
    .map((event) => ({
      category: 'invalid-attributes',
      build: (caseNo: number) => {
        // A mutated id keeps its oddity behind a unique prefix; an absent one gets a fresh id.
        const ided =
          typeof event.id === 'string' && event.id !== ''
            ? { ...event, id: `${idOf(caseNo, 0)}${event.id}` }
            : withIds(event, idOf(caseNo, 0));
        return [
          {
            method: 'POST',
            path: publishPath(target),
            headers: headersWith(JSON_TYPES.structured),
            body: Buffer.from(JSON.stringify(ided)),
            auth: 'valid' as const,
            events: trackable([ided]),
          },
        ];
      },
    }))
);

/** Batch edge cases: empty, not an array, nested, duplicated ids, mixed, too many entries. */
const batchEdges: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    fc.constantFrom(
      'empty',
      'object',
      'scalar',
      'nested',
      'duplicate',
      'mixed',
      'many',
      'null-entry'
    ),
    fc.array(validEvent('orders'), { minLength: 2, maxLength: 4 }),
    validEvent('orders').chain(mutate),
    fc.integer({ min: 101, max: 150 })
  )
  .map(([shape, events, broken, many]) => ({
    category: `batch-${shape}`,
    build: (caseNo: number) => {
      const full = events.map((event, k) => ({ ...event, id: idOf(caseNo, k) }));
      const bad = withIds(broken, idOf(caseNo, 99));
      let body: Json;
      let carried: unknown[] = full;
      switch (shape) {
        case 'empty':
          body = [];
          carried = [];
          break;
        case 'object':
          body = full[0] ?? {};
          carried = [];
          break;
        case 'scalar':
          body = 42;
          carried = [];
          break;
        case 'nested':
          body = [full];
          break;
        case 'duplicate':
          body = [...full, { ...(full[0] ?? {}), data: { other: true } }];
          break;
        case 'null-entry':
          body = [...full, null];
          break;
        case 'many': {
          const entries = Array.from({ length: many }, (_, k) => ({
            ...(full[0] ?? {}),
            id: idOf(caseNo, 100 + k),
          }));
          body = entries;
          // All or nothing: its first, middle and last events stand for the batch.
          carried = [0, Math.floor(many / 2), many - 1].map((k) => entries[k]);
          break;
        }
        default:
          body = [...full, bad];
          carried = [...full, bad];
      }
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(JSON_TYPES.batch),
          body: Buffer.from(JSON.stringify(body)),
          auth: 'valid' as const,
          events: trackable(carried),
        },
      ];
    },
  }));

/** Bodies that are not JSON, or not the JSON the mode needs. */
const malformedJson: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.constantFrom(
        '',
        ' ',
        '{',
        '}',
        '[',
        'null',
        'NaN',
        '{"a":1,}',
        "{'single':1}",
        '{"a":1}{"b":2}',
        '// comment\n{}',
        '{"specversion":"1.0"',
        '1e999999'
      )
    ),
    fc.nat({ max: 100 }),
    fc.constantFrom(JSON_TYPES.structured, JSON_TYPES.batch)
  )
  .map(([event, garbage, cut, contentType]) => ({
    category: 'malformed-json',
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0) };
      const text = JSON.stringify(full);
      const body = cut % 2 === 0 ? text.slice(0, Math.max(0, text.length - 1 - cut)) : garbage;
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(contentType),
          body: Buffer.from(body, cut % 2 === 0 ? 'utf8' : 'latin1'),
          auth: 'valid' as const,
          events: trackable([full]),
        },
      ];
    },
  }));

/** Content types that are wrong, missing or odd. */
const contentTypes: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.oneof(
      fc.constantFrom(
        undefined,
        '',
        'text/plain',
        'application/json',
        'application/xml',
        'multipart/form-data; boundary=x',
        'APPLICATION/CLOUDEVENTS+JSON',
        'application/cloudevents+json; charset=latin1',
        'application/cloudevents+json; charset=UTF-8',
        'application/cloudevents+json; charset="utf-8"; foo=bar',
        'application/cloudevents+json;;;',
        'application/cloudevents',
        'application/cloudevents-batch+json',
        '*/*',
        'application/cloudevents+json, text/plain'
      ),
      fc.string({ maxLength: 40 }).map((text) => text.replace(/[\r\n\0]/g, ' '))
    )
  )
  .map(([event, contentType]) => ({
    category: 'content-type',
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0) };
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(contentType),
          body: Buffer.from(JSON.stringify(full)),
          auth: 'valid' as const,
          events: trackable([full]),
        },
      ];
    },
  }));

/** Bad encodings: invalid UTF-8, BOMs, UTF-16. */
const encodings: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.constantFrom('invalid-utf8', 'bom', 'utf16le', 'utf16be', 'latin1-text', 'overlong'),
    fc.constantFrom(
      JSON_TYPES.structured,
      `${JSON_TYPES.structured}; charset=utf-16`,
      `${JSON_TYPES.structured}; charset=utf-8`
    )
  )
  .map(([event, encoding, contentType]) => ({
    category: `encoding-${encoding}`,
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0), subject: 'café' };
      const text = JSON.stringify(full);
      const utf8 = Buffer.from(text, 'utf8');
      const cut = text.indexOf('café') + 3;
      let body: Buffer;
      switch (encoding) {
        case 'invalid-utf8':
          body = Buffer.concat([
            utf8.subarray(0, cut),
            Buffer.from([0xff, 0xc3, 0x28]),
            utf8.subarray(cut),
          ]);
          break;
        case 'bom':
          body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
          break;
        case 'utf16le':
          body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
          break;
        case 'utf16be':
          body = Buffer.from(text, 'utf16le').swap16();
          break;
        case 'latin1-text':
          body = Buffer.from(text, 'latin1');
          break;
        default:
          // An overlong encoding of '/' and an encoded surrogate.
          body = Buffer.concat([
            utf8.subarray(0, cut),
            Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80]),
            utf8.subarray(cut),
          ]);
      }
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(contentType),
          body,
          auth: 'valid' as const,
          events: trackable([full]),
        },
      ];
    },
  }));

/** Huge and deeply nested bodies. */
const hugeAndDeep: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.oneof(
      {
        weight: 12,
        arbitrary: fc
          .constantFrom(100, 1_000, 5_000, 20_000, 100_000)
          .map((depth) => ({ depth, size: 0 })),
      },
      {
        weight: 6,
        arbitrary: fc
          .integer({ min: 250_000, max: ONE_MIB - 10_000 })
          .map((size) => ({ depth: 0, size })),
      },
      {
        weight: 4,
        arbitrary: fc
          .integer({ min: ONE_MIB + 1, max: 2 * ONE_MIB })
          .map((size) => ({ depth: 0, size })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom(7 * ONE_MIB, 10 * ONE_MIB + 1)
          .map((size) => ({ depth: 0, size })),
      }
    ),
    fc.boolean()
  )
  .map(([event, { depth, size }, arrays]) => ({
    category: depth > 0 ? `deep-${depth}` : size > ONE_MIB ? 'huge-over-limit' : 'large',
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0), type: 'com.fuzz.big', data: '@DATA@' };
      const data =
        depth > 0
          ? arrays
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
          : JSON.stringify('x'.repeat(size));
      const body = JSON.stringify(full).replace('"@DATA@"', data);
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(JSON_TYPES.structured),
          body: Buffer.from(body),
          auth: 'valid' as const,
          events: trackable([full]),
        },
      ];
    },
  }));

/** Binary mode with ce-* headers missing, garbled, duplicated. */
const binaryMode: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.subarray(['ce-id', 'ce-source', 'ce-specversion', 'ce-type']),
    fc.oneof(
      fc.constant(undefined),
      fc.tuple(
        fc.constantFrom(
          'ce-id',
          'ce-source',
          'ce-specversion',
          'ce-type',
          'ce-time',
          'ce-Bad_Name',
          'ce-',
          'ce-partitionkey'
        ),
        fc.oneof(
          fc.string({ maxLength: 20 }).map((text) => text.replace(/[\r\n\0]/g, '')),
          fc.constantFrom('', '%20%zz', '\u00e9\u00ff', '2.0', 'not-a-time', 'a'.repeat(3000), '\t')
        )
      )
    ),
    fc.constantFrom(
      'application/json',
      'application/vnd.fuzz+json',
      'text/plain',
      undefined,
      'application/json; charset=utf-16'
    ),
    fc.boolean()
  )
  .map(([event, missing, garble, contentType, duplicate]) => ({
    category: 'binary-mode',
    build: (caseNo: number) => {
      const id = idOf(caseNo, 0);
      const values: Record<string, string> = {
        'ce-id': id,
        'ce-source': String(event.source),
        'ce-specversion': '1.0',
        'ce-type': String(event.type),
      };
      for (const name of missing) delete values[name];
      const headers: [string, string][] = Object.entries(values);
      if (garble !== undefined) headers.push([garble[0], garble[1]]);
      if (duplicate) headers.push(['ce-id', `${id}-again`]);
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(contentType, headers),
          body: Buffer.from(JSON.stringify(event.data ?? null)),
          auth: 'valid' as const,
          events: [
            { id, source: String(event.source) },
            ...(duplicate ? [{ id: `${id}-again`, source: String(event.source) }] : []),
            ...(garble?.[0] === 'ce-id' && garble[1] !== ''
              ? [{ id: garble[1], source: String(event.source) }]
              : []),
          ],
        },
      ];
    },
  }));

/** Idempotency-Key garbage, and keys reused with the same or another request. */
const idempotencyKeys: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.oneof(
      fc.string({ maxLength: 40 }).map((text) => text.replace(/[\r\n\0]/g, '')),
      fc.string({ unit: bmpCharacter, maxLength: 20 }).map((text) =>
        Buffer.from(text, 'utf8')
          .toString('latin1')
          .replace(/[\r\n\0]/g, '')
      ),
      fc.constantFrom(
        '""',
        '"',
        '"a"b"',
        '"\\q"',
        ' ',
        'a b',
        'x'.repeat(256),
        `"${'y'.repeat(300)}"`,
        'z'.repeat(6000)
      )
    ),
    fc.constantFrom('garbage', 'twice', 'replay', 'reuse-other')
  )
  .map(([event, key, mode]) => ({
    category: `idempotency-${mode}`,
    build: (caseNo: number) => {
      const first = { ...event, id: idOf(caseNo, 0) };
      const request = (body: Record<string, Json>, headers: [string, string][]): Built => ({
        method: 'POST',
        path: 'topics/orders/events',
        headers: headersWith(JSON_TYPES.structured, headers),
        body: Buffer.from(JSON.stringify(body)),
        auth: 'valid',
        events: trackable([body]),
      });
      const goodKey = `"k-${caseNo}-${FUZZ_SOURCE.slice(-8)}"`;
      switch (mode) {
        case 'garbage':
          return [request(first, [['Idempotency-Key', key]])];
        case 'twice':
          return [
            request(first, [
              ['Idempotency-Key', goodKey],
              ['Idempotency-Key', goodKey],
            ]),
          ];
        case 'replay':
          return [
            request(first, [['Idempotency-Key', goodKey]]),
            request(first, [['Idempotency-Key', goodKey]]),
          ];
        default:
          return [
            request(first, [['Idempotency-Key', goodKey]]),
            request({ ...event, id: idOf(caseNo, 1) }, [['Idempotency-Key', goodKey]]),
          ];
      }
    },
  }));

/** CR, LF and NUL in header values and paths; injected headers. */
const injection: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.constantFrom(
      'crlf-unsigned-header',
      'crlf-signed-header',
      'nul-header',
      'cr-header',
      'lf-header',
      'nul-path',
      'crlf-path',
      'space-path',
      'latin1-header'
    )
  )
  .map(([event, kind]) => ({
    category: `injection-${kind}`,
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0) };
      const base = {
        method: 'POST',
        path: 'topics/orders/events',
        headers: headersWith(JSON_TYPES.structured),
        body: Buffer.from(JSON.stringify(full)),
        auth: 'valid' as const,
        events: trackable([full]),
      };
      const injected = `x\r\nce-type: com.fuzz.injected\r\nX-Evil: 1`;
      switch (kind) {
        case 'crlf-unsigned-header':
          return [
            { ...base, headers: [...base.headers, ['X-Note', injected]], unsigned: ['x-note'] },
          ];
        case 'crlf-signed-header':
          return [{ ...base, headers: [...base.headers, ['X-Note', injected]] }];
        case 'nul-header':
          return [{ ...base, headers: [...base.headers, ['X-Note', 'a\0b']] }];
        case 'cr-header':
          return [{ ...base, headers: [...base.headers, ['X-Note', 'a\rb']] }];
        case 'lf-header':
          return [{ ...base, headers: [...base.headers, ['X-Note', 'a\nb']] }];
        case 'nul-path':
          return [{ ...base, path: 'topics/orders\0/events' }];
        case 'crlf-path':
          return [{ ...base, path: 'topics/orders/events\r\nX-Evil: 1' }];
        case 'space-path':
          return [{ ...base, path: 'topics/orders /events' }];
        default:
          return [{ ...base, headers: [...base.headers, ['X-Note', '\u00e9\u00ff\u0080']] }];
      }
    },
  }));

/** Bad signatures. */
const signatures: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.constantFrom<AuthMode>(
      'none',
      'wrong-secret',
      'unknown-key',
      'wrong-region',
      'wrong-service',
      'stale',
      'future',
      'tampered-body',
      'no-date',
      'garbage'
    )
  )
  .map(([event, auth]) => ({
    category: `auth-${auth}`,
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0) };
      return [
        {
          method: 'POST',
          path: 'topics/orders/events',
          headers: headersWith(JSON_TYPES.structured),
          body: Buffer.from(JSON.stringify(full)),
          auth,
          events: trackable([full]),
        },
      ];
    },
  }));

/** Odd paths and methods. */
const oddPaths: fc.Arbitrary<FuzzCase> = fc
  .tuple(
    validEvent('orders'),
    fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'POST', 'BREW'),
    fc.oneof(
      fc.constantFrom(
        '',
        'topics',
        'topics//events',
        'topics/orders/events/',
        'topics/orders/events?x=1&x=2',
        'topics/%2e%2e/events',
        'topics/..%2f..%2f/events',
        'topics/orders%00/events',
        'topics/ORDERS/events',
        'TOPICS/orders/events',
        'queues/orders/messages',
        'queues/payments/messages/extra',
        'events/',
        'events/%ff',
        'events/%',
        'events/x?source=',
        'events/x?source=%zz',
        `events/${'a'.repeat(4000)}`,
        `topics/${'b'.repeat(3000)}/events`,
        'topics/%F0%9F%98%80/events',
        '../prod/topics/orders/events'
      ),
      fc.webPath().map((path) => path.replace(/^\//, ''))
    )
  )
  .map(([event, method, path]) => ({
    category: `path-${method}`,
    build: (caseNo: number) => {
      const full = { ...event, id: idOf(caseNo, 0) };
      const hasBody = method !== 'GET' && method !== 'HEAD';
      return [
        {
          method,
          path,
          headers: headersWith(hasBody ? JSON_TYPES.structured : undefined),
          body: hasBody ? Buffer.from(JSON.stringify(full)) : Buffer.alloc(0),
          auth: 'valid' as const,
          events: hasBody ? trackable([full]) : [],
        },
      ];
    },
  }));

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 10, arbitrary: validStructured },
  { weight: 4, arbitrary: validBatch },
  { weight: 14, arbitrary: invalidAttributes },
  { weight: 8, arbitrary: batchEdges },
  { weight: 8, arbitrary: malformedJson },
  { weight: 6, arbitrary: contentTypes },
  { weight: 5, arbitrary: encodings },
  { weight: 3, arbitrary: hugeAndDeep },
  { weight: 8, arbitrary: binaryMode },
  { weight: 6, arbitrary: idempotencyKeys },
  { weight: 5, arbitrary: injection },
  { weight: 7, arbitrary: signatures },
  { weight: 6, arbitrary: oddPaths }
);

// ---- sending ------------------------------------------------------------------------------

/** Signs (or mis-signs) a request as its auth mode says. */
async function prepare(
  built: Built,
  origin: { host: string; port: number },
  stage: string,
  region: string
): Promise<RawRequest> {
  const target = `/${stage}/${built.path}`;
  const host = `${origin.host}:${origin.port}`;
  const request = { method: built.method, target, headers: built.headers, body: built.body };
  const signing: RawSigning = { credentials: CREDENTIALS, region, unsignedHeaders: built.unsigned };
  const minutes = (n: number) => new Date(Date.now() + n * 60_000);
  switch (built.auth) {
    case 'none':
      return { ...request, headers: [['Host', host], ...built.headers] };
    case 'garbage':
      return {
        ...request,
        headers: [
          ['Host', host],
          ['Authorization', 'AWS4-HMAC-SHA256 Credential="x"/y, Signature=zz'],
          ['X-Amz-Date', 'yesterday'],
          ...built.headers,
        ],
      };
    case 'no-date': {
      const headers = await signRaw({ ...request, host }, signing);
      return {
        ...request,
        headers: headers.filter(([name]) => name.toLowerCase() !== 'x-amz-date'),
      };
    }
    case 'tampered-body': {
      const headers = await signRaw({ ...request, host }, signing);
      return { ...request, headers, body: Buffer.concat([built.body, Buffer.from(' ')]) };
    }
    default: {
      const variants: Partial<Record<AuthMode, Partial<RawSigning>>> = {
        'wrong-secret': { credentials: { ...CREDENTIALS, secretAccessKey: 'not-the-secret' } },
        'unknown-key': { credentials: { ...CREDENTIALS, accessKeyId: 'AKIDFUZZ' } },
        'wrong-region': { region: 'eu-west-1' },
        'wrong-service': { service: 'execute-apis' },
        stale: { signingDate: minutes(-20) },
        future: { signingDate: minutes(20) },
      };
      const headers = await signRaw({ ...request, host }, { ...signing, ...variants[built.auth] });
      return { ...request, headers };
    }
  }
}

/** What the run saw. */
interface Observed {
  cases: number;
  requests: number;
  readonly histogram: Map<number, number>;
  readonly categories: Map<string, number>;
  readonly accepted: Map<string, Tracked>;
  readonly rejected: Map<string, Tracked>;
}

const keyOf = ({ id, source }: Tracked) => JSON.stringify([source, id]);

/** Checks one response against the invariants; returns why it breaks them, if it does. */
function violation(built: Built, response: RawResponse): string | undefined {
  const contentType = response.headers['content-type'] ?? '';
  if (response.status >= 500) return `a ${response.status}`;
  if (response.status === 202) {
    if (built.method !== 'POST') return `202 to ${built.method}`;
    return contentType.startsWith('application/json') ? undefined : `202 as ${contentType}`;
  }
  if (response.status === 200) {
    return built.method === 'GET' && built.path.startsWith('events/')
      ? undefined
      : `200 to ${built.method} ${built.path}`;
  }
  if (response.status < 400) return `an unexpected ${response.status}`;
  if (!contentType.startsWith('application/problem+json'))
    return `a ${response.status} as '${contentType}'`;
  if (built.method === 'HEAD') return undefined;
  let problem: unknown;
  try {
    problem = JSON.parse(response.body.toString('utf8'));
  } catch {
    return `a ${response.status} problem that is not JSON`;
  }
  const { title, detail, status } = problem as {
    title?: unknown;
    detail?: unknown;
    status?: unknown;
  };
  if (typeof title !== 'string' || typeof detail !== 'string')
    return 'a problem without title/detail';
  if (status !== undefined && status !== response.status)
    return `a problem whose status is ${String(status)}`;
  return undefined;
}

function describeRequest(built: Built): string {
  const body =
    built.body.length > 300
      ? `${built.body.subarray(0, 300).toString('latin1')}… (${built.body.length} bytes)`
      : built.body.toString('latin1');
  return JSON.stringify({
    method: built.method,
    path: built.path.slice(0, 200),
    auth: built.auth,
    headers: built.headers.map(([n, v]) => [n, v.slice(0, 200)]),
    body,
  });
}

// ---- the test -----------------------------------------------------------------------------

describe('ingest under hostile input', () => {
  let pipeline: Pipeline;
  let origin: { host: string; port: number };
  let stage: string;
  const observed: Observed = {
    cases: 0,
    requests: 0,
    histogram: new Map(),
    categories: new Map(),
    accepted: new Map(),
    rejected: new Map(),
  };

  beforeAll(async () => {
    pipeline = await connectPipeline();
    const url = new URL(pipeline.outputs.apiUrl);
    origin = { host: url.hostname, port: Number(url.port || 80) };
    stage = url.pathname.split('/').filter(Boolean)[0] ?? '';
  });

  afterAll(() => {
    const histogram = [...observed.histogram.entries()].sort(([a], [b]) => a - b);
    console.log(
      `ingest fuzz: seed ${SEED}, ${observed.cases} cases, ${observed.requests} requests; status histogram ${histogram
        .map(([status, count]) => `${status}×${count}`)
        .join(
          ' '
        )}; accepted events ${observed.accepted.size}, rejected events ${observed.rejected.size}`
    );
  });

  async function runCase(fuzz: FuzzCase): Promise<void> {
    observed.cases += 1;
    const caseNo = observed.cases;
    observed.categories.set(fuzz.category, (observed.categories.get(fuzz.category) ?? 0) + 1);
    for (const built of fuzz.build(caseNo)) {
      const request = await prepare(built, origin, stage, pipeline.outputs.region);
      let response: RawResponse;
      try {
        response = await sendRaw(origin, request, REQUEST_TIMEOUT_MS);
      } catch (error) {
        if (error instanceof RawHttpTimeoutError) {
          throw new Error(`case ${caseNo} (${fuzz.category}) hung: ${describeRequest(built)}`);
        }
        throw error;
      }
      observed.requests += 1;
      observed.histogram.set(response.status, (observed.histogram.get(response.status) ?? 0) + 1);
      const broken = violation(built, response);
      if (broken !== undefined) {
        throw new Error(
          `case ${caseNo} (${fuzz.category}) got ${broken}: ${response.body.toString('utf8').slice(0, 500)}\nrequest: ${describeRequest(built)}`
        );
      }
      if (response.status === 202) {
        const { accepted } = JSON.parse(response.body.toString('utf8')) as { accepted: Tracked[] };
        for (const event of accepted)
          observed.accepted.set(keyOf(event), { id: event.id, source: event.source });
      } else if (response.status >= 400) {
        for (const event of built.events) observed.rejected.set(keyOf(event), event);
      }
    }
  }

  it(
    'answers every hostile request with a 202 or a 4xx problem, never a 5xx, never a hang',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fuzzCase, { minLength: CONCURRENCY, maxLength: CONCURRENCY }),
          async (cases) => {
            await Promise.all(cases.map(runCase));
          }
        ),
        { seed: SEED, numRuns: Math.ceil(RUNS / CONCURRENCY), endOnFailure: true }
      );
      expect(observed.cases).toBeGreaterThanOrEqual(RUNS);
    },
    30 * 60_000
  );

  it(
    'publishes nothing of a rejected request, and processes every accepted event',
    async () => {
      // A later valid event is processed, and the audit queue drained, before we look.
      const marker = orderPlaced();
      expect((await pipeline.publish('orders', marker)).status).toBe(202);
      await pipeline.waitUntilDone(marker, 120_000);
      await waitUntilDrained(
        pipeline.sqs,
        pipeline.outputs.consumers.audit?.queueUrl ?? '',
        120_000
      );

      const rejected = [...observed.rejected.entries()]
        .filter(([key]) => !observed.accepted.has(key))
        .map(([, event]) => event);
      const leaks: string[] = [];
      const audited = await auditKeys(pipeline);
      await inParallel(rejected, 16, async (event) => {
        if ((await pipeline.status(event)) !== undefined) {
          leaks.push(`status of ${JSON.stringify(event)}`);
        }
        if (audited.has(shopKeys.audit(event.source, event.id))) {
          leaks.push(`audit entry of ${JSON.stringify(event)}`);
        }
      });
      // The scan sees the audit entries of the accepted events (it reads what it should).
      expect(audited.size).toBeGreaterThan(0);
      expect(leaks).toEqual([]);

      const unprocessed: string[] = [];
      let deadLettered = 0;
      await inParallel([...observed.accepted.values()], 16, async (event) => {
        const status = await pipeline.waitUntilDone(event, 120_000);
        // Processed: by every subscriber, or dead-lettered with its reason (e.g. a type the
        // payments worker does not handle, which the ingest accepts on its queue).
        const failed = status.subscribers.filter(
          (subscriber) =>
            subscriber.status !== 'succeeded' &&
            !(subscriber.status === 'dead_lettered' && subscriber.lastError)
        );
        deadLettered += status.subscribers.filter((s) => s.status === 'dead_lettered').length;
        if (failed.length > 0)
          unprocessed.push(`${JSON.stringify(event)}: ${JSON.stringify(failed)}`);
      });
      expect(unprocessed).toEqual([]);
      console.log(
        `ingest fuzz: checked ${rejected.length} rejected events (no trace) and ${observed.accepted.size} accepted events (all processed; ${deadLettered} deliveries dead-lettered with a reason)`
      );
    },
    10 * 60_000
  );
});

/** Every audit entry's key in the pipeline table (one scan instead of a read per event). */
async function auditKeys(pipeline: Pipeline): Promise<Set<string>> {
  const keys = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await pipeline.documents.send(
      new ScanCommand({
        TableName: pipeline.outputs.tableName,
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':prefix': shopKeys.audit('', '').replace(/#$/, '') },
        ProjectionExpression: '#pk',
        ExclusiveStartKey: start,
      })
    );
    for (const item of page.Items ?? []) keys.add(String(item[TABLE_KEYS.partitionKey]));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return keys;
}

/** Runs `work` over `items` with at most `limit` at a time. */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
