import { describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../../functions/ingest/plan.ts';
import { chunkMessages } from '../../../functions/ingest/publisher.ts';

const message = (index: number, sizeBytes: number) => ({ index, sizeBytes }) as OutboundMessage;

describe('batch chunking', () => {
  it('puts at most 10 entries in a batch call', () => {
    const chunks = chunkMessages(Array.from({ length: 23 }, (_, i) => message(i, 100)));
    expect(chunks.map((chunk) => chunk.length)).toEqual([10, 10, 3]);
  });

  it('keeps each batch call within 256 KiB in total, in order', () => {
    // Act
    const chunks = chunkMessages([
      message(0, 100_000),
      message(1, 100_000),
      message(2, 100_000),
      message(3, 262_144),
      message(4, 1),
    ]);
    // Assess
    expect(chunks.map((chunk) => chunk.map((m) => m.index))).toEqual([[0, 1], [2], [3], [4]]);
  });
});
