/**
 * The operator CLI (`npx pipeline …`) against the running pipeline: every command, through
 * `runCli`, exactly as the binary runs it, reading only the outputs file.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { SHOP_EVENT_TYPES } from '../../functions/shop/schemas.ts';
import { EXIT } from '../../lib/cli/cli-error.ts';
import type { CommandIo } from '../../lib/cli/command.ts';
import { runCli } from '../../lib/cli/main.ts';
import './support/e2e-target.ts';
import { eventually } from './support/pipeline-client.ts';

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  /** stdout parsed as one JSON document (with --json). */
  readonly json: unknown;
}

describe('pipeline CLI', () => {
  const target = inject('e2e');
  const targetFlags = ['--target', target.target, '--outputs', target.outputsFile];

  beforeAll(() => {
    if (target.runtimeStateFile) process.env.PIPELINE_RUNTIME_STATE = target.runtimeStateFile;
  });

  async function pipeline(...argv: string[]): Promise<Run> {
    const out: string[] = [];
    const err: string[] = [];
    const io = (json: boolean): CommandIo => ({
      json,
      interactive: false,
      out: (text) => out.push(text),
      err: (text) => err.push(text),
      progress: () => undefined,
    });
    const code = await runCli([...argv, ...targetFlags], [], io);
    let json: unknown;
    try {
      json = JSON.parse(out.join('\n'));
    } catch {
      json = undefined;
    }
    return { code, out, err, json };
  }

  const placedData = (orderId: string) =>
    JSON.stringify({
      orderId,
      customerId: 'c-cli',
      items: [{ sku: `sku-${orderId}`, quantity: 1 }],
      total: { amount: 100, currency: 'EUR' },
    });

  it('sends an event, then waits for its status to be final', async () => {
    // WHEN
    const sent = await pipeline(
      'send',
      'orders',
      '--type',
      SHOP_EVENT_TYPES.orderPlaced,
      '--data',
      placedData(`o-${Date.now()}`),
      '--json'
    );
    // THEN
    expect(sent.code).toBe(EXIT.OK);
    const [accepted] = (sent.json as { accepted: { id: string; statusUrl: string }[] }).accepted;
    expect(accepted?.statusUrl).toContain(`/events/${accepted?.id}`);
    const status = await pipeline(
      'status',
      accepted?.id ?? '',
      '--source',
      'urn:pipeline:cli',
      '--wait',
      '--json'
    );
    expect(status.code).toBe(EXIT.OK);
    expect(status.json).toMatchObject({
      done: true,
      subscribers: [
        { name: 'audit', status: 'succeeded' },
        { name: 'inventory', status: 'succeeded' },
      ],
    });
  });

  it('prints people-readable lines without --json', async () => {
    const sent = await pipeline(
      'send',
      'payments',
      '--queue',
      '--type',
      SHOP_EVENT_TYPES.paymentRequested,
      '--data',
      JSON.stringify({
        paymentId: `p-${Date.now()}`,
        orderId: 'o-1',
        total: { amount: 1, currency: 'EUR' },
      })
    );
    expect(sent.code).toBe(EXIT.OK);
    expect(sent.out[0]).toMatch(/^accepted \S+ {2}http/);
  });

  it('fails with exit 1 and the API’s reason when the event is invalid', async () => {
    const sent = await pipeline(
      'send',
      'orders',
      '--type',
      SHOP_EVENT_TYPES.orderPlaced,
      '--data',
      '{"orderId": 7}'
    );
    expect(sent.code).toBe(EXIT.FAILED);
    expect(sent.err.join('\n')).toMatch(/the API refused the event \(400\)/);
  });

  it('fails with exit 2 on bad flags and exit 3 on an unknown event', async () => {
    expect((await pipeline('send', 'orders')).code).toBe(EXIT.USAGE);
    expect((await pipeline('status', 'no-such-event', '--no-such-flag')).code).toBe(EXIT.USAGE);
    const unknown = await pipeline('status', `missing-${Date.now()}`);
    expect(unknown.code).toBe(EXIT.NOT_FOUND);
    expect(unknown.err.join('\n')).toMatch(/error: /);
  });

  it('lists every dead-letter queue', async () => {
    const listed = await pipeline('dlq', 'list', '--json');
    expect([EXIT.OK, EXIT.FAILED]).toContain(listed.code);
    const names = (
      listed.json as { deadLetterQueues: { consumer: string }[] }
    ).deadLetterQueues.map((queue) => queue.consumer);
    expect(names).toEqual(['audit', 'inventory', 'payments', 'shipping', 'tracker']);
  });

  it('peeks a poison event with its reason, and tails its deliveries', async () => {
    // GIVEN a poison event, dead-lettered at once
    const sent = await pipeline(
      'send',
      'orders',
      '--type',
      SHOP_EVENT_TYPES.orderPlaced,
      '--data',
      placedData(`o-poison-${Date.now()}`),
      '--extension',
      'testfault=permanent',
      '--json'
    );
    const id = (sent.json as { accepted: { id: string }[] }).accepted[0]?.id ?? '';
    const status = await pipeline('status', id, '--source', 'urn:pipeline:cli', '--wait');
    expect(status.code).toBe(EXIT.FAILED);
    expect(status.out.join('\n')).toMatch(/dead_lettered/);
    // WHEN
    const peeked = await pipeline('dlq', 'peek', 'audit', '--max', '100', '--json');
    // THEN
    expect(peeked.code).toBe(EXIT.OK);
    const messages = (
      peeked.json as { messages: { eventId?: string; kind: string; reason?: string }[] }
    ).messages;
    expect(messages.find((message) => message.eventId === id)).toMatchObject({
      kind: 'permanent',
      reason: expect.stringMatching(/injected permanent fault/),
    });
    const listed = await pipeline('dlq', 'list', '--json');
    expect(listed.code).toBe(EXIT.FAILED);
    const audit = (
      listed.json as {
        deadLetterQueues: { consumer: string; depth: number; oldestAgeSeconds?: number }[];
      }
    ).deadLetterQueues.find((queue) => queue.consumer === 'audit');
    expect(audit?.depth).toBeGreaterThanOrEqual(1);
    expect(audit?.oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    if (target.target === 'local') {
      const tailed = await pipeline('tail', '--event', id, '--no-follow', '--json');
      expect(tailed.code).toBe(EXIT.OK);
      const entries = tailed.out.map(
        (line) => JSON.parse(line) as { subscriber: string; eventId: string; outcome: string }
      );
      expect(entries.map((entry) => entry.subscriber).sort()).toEqual(['audit', 'inventory']);
      expect(entries.every((entry) => entry.eventId === id && entry.outcome === 'succeeded')).toBe(
        true
      );
    }
  });

  it('redrives dead letters back to the queue, where they are processed', async () => {
    // GIVEN a payment exhausted into the DLQ (its first 4 attempts fail, maxReceiveCount is 4)
    const sent = await pipeline(
      'send',
      'payments',
      '--queue',
      '--type',
      SHOP_EVENT_TYPES.paymentRequested,
      '--data',
      JSON.stringify({
        paymentId: `p-redrive-${Date.now()}`,
        orderId: 'o-2',
        total: { amount: 5, currency: 'EUR' },
      }),
      '--extension',
      'testfault=transient:4',
      '--json'
    );
    expect(sent.code).toBe(EXIT.OK);
    const id = (sent.json as { accepted: { id: string }[] }).accepted[0]?.id ?? '';
    const exhausted = await pipeline(
      'status',
      id,
      '--source',
      'urn:pipeline:cli',
      '--wait',
      '--timeout',
      '90',
      '--json'
    );
    expect(exhausted.json).toMatchObject({
      subscribers: [{ name: 'payments', status: 'dead_lettered' }],
    });
    // WHEN
    const redriven = await pipeline('dlq', 'redrive', 'payments', '--json');
    // THEN
    expect(redriven.code).toBe(EXIT.OK);
    expect((redriven.json as { moved: number }).moved).toBeGreaterThanOrEqual(1);
    // (dead_lettered is final, so `status --wait` would return at once: poll until it changes)
    const after = await eventually(
      () => pipeline('status', id, '--source', 'urn:pipeline:cli', '--json'),
      (run) => run.code === EXIT.OK,
      'the redriven payment succeeds'
    );
    expect(after.json).toMatchObject({ subscribers: [{ name: 'payments', status: 'succeeded' }] });
  });

  it('shows help for every command', async () => {
    const help = await pipeline('--help');
    for (const command of ['send', 'status', 'dlq list', 'dlq peek', 'dlq redrive', 'tail']) {
      expect(help.out.join('\n')).toContain(command);
      const own = await pipeline(...command.split(' '), '--help');
      expect(own.code).toBe(EXIT.OK);
      expect(own.out.join('\n')).toMatch(/^Usage: pipeline /);
    }
  });
});
