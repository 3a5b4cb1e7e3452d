import { describe, expect, it } from 'vitest';
import { CANCEL_AFTER_MS, ShopMix, seededRandom } from '../../../lib/bench/shop-mix.ts';

describe('ShopMix', () => {
  it('expects the subscribers whose filter policies match', () => {
    // Prepare
    const mix = new ShopMix(7);

    // Act
    const requests = Array.from({ length: 200 }, () => mix.next(0));

    // Assess
    const byType = new Map(requests.map((request) => [request.event.type, request.subscribers]));
    expect(byType.get('com.example.order.placed')).toEqual(['inventory', 'audit']);
    expect(byType.get('com.example.order.paid')).toEqual(['shipping', 'audit']);
    expect(byType.get('com.example.order.shipped')).toEqual(['audit']);
    expect(byType.get('com.example.shipment.tracked')).toEqual(['tracker']);
    expect(byType.get('com.example.payment.requested')).toEqual(['payments']);
  });

  it('cancels only orders placed long enough before', () => {
    // Prepare
    const mix = new ShopMix(3);
    const placed = new Set<string>();

    // Act
    const cancelled: string[] = [];
    for (let index = 0; index < 500; index += 1) {
      const request = mix.next(index * 100);
      const { orderId } = request.event.data as { orderId: string };
      if (request.event.type === 'com.example.order.placed')
        placed.add(`${orderId}@${index * 100}`);
      if (request.event.type === 'com.example.order.cancelled')
        cancelled.push(`${orderId}@${index * 100}`);
    }

    // Assess
    expect(cancelled.length).toBeGreaterThan(0);
    for (const entry of cancelled) {
      const [orderId, at] = entry.split('@');
      const placedAt = [...placed].find((item) => item.startsWith(`${orderId}@`))?.split('@')[1];
      expect(Number(at) - Number(placedAt)).toBeGreaterThanOrEqual(CANCEL_AFTER_MS);
    }
  });
});

describe('seededRandom', () => {
  it('repeats its sequence for a seed', () => {
    const first = seededRandom(42);
    const second = seededRandom(42);
    expect([first(), first(), first()]).toEqual([second(), second(), second()]);
  });
});
