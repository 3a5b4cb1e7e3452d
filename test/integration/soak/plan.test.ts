import { describe, expect, it } from 'vitest';
import { shopPipeline } from '../../../lib/definition/shop.ts';
import { ExpectationModel } from '../../../lib/soak/expectations.ts';
import { parseSoakArgs } from '../../../lib/soak/options.ts';
import { planSoak } from '../../../lib/soak/plan.ts';

const props = {
  events: 2000,
  faultShare: 0.15,
  duplicateShare: 0.05,
  slowFaults: true,
  definition: shopPipeline,
};

describe('planSoak', () => {
  it('gives the same requests for the same seed, and others for another seed', () => {
    // Act
    const first = planSoak({ ...props, seed: 42 });
    const again = planSoak({ ...props, seed: 42 });
    const other = planSoak({ ...props, seed: 43 });
    // Assess
    expect(JSON.stringify(again.requests)).toBe(JSON.stringify(first.requests));
    expect(JSON.stringify(other.requests)).not.toBe(JSON.stringify(first.requests));
    expect(first.eventCount).toBe(2000);
  });

  it('cancels only orders whose placed event inventory will apply, after it', () => {
    // Prepare
    const plan = planSoak({ ...props, seed: 5 });
    const model = new ExpectationModel(shopPipeline);
    const placed = new Map<string, string>();
    for (const request of plan.requests) {
      for (const event of request.events) {
        if (event.type === 'com.example.order.placed') {
          const outcome = model
            .expect(request.route, event)
            .find((e) => e.consumer === 'inventory');
          placed.set(String(event.data.orderId), outcome?.outcome ?? 'missing');
        }
      }
      // Assess
      if (request.afterReservationOf !== undefined) {
        expect(placed.get(request.afterReservationOf)).toBe('applied');
      }
    }
    expect(plan.requests.some((request) => request.afterReservationOf !== undefined)).toBe(true);
  });

  it('routes events to the subscribers whose filter matches', () => {
    // Prepare
    const model = new ExpectationModel(shopPipeline);
    const event = (type: string, extra: Record<string, unknown> = {}) => ({
      id: 'x',
      source: 's',
      type,
      data: {},
      ...extra,
    });
    const consumers = (type: string, extra?: Record<string, unknown>) =>
      model
        .expect({ kind: 'topic', name: 'orders' }, event(type, extra))
        .map((e) => `${e.consumer}:${e.outcome}`)
        .sort();
    // Act + Assess
    expect(consumers('com.example.order.placed')).toEqual(['audit:applied', 'inventory:applied']);
    expect(consumers('com.example.order.paid', { testfault: 'transient:5' })).toEqual([
      'audit:exhausted',
      'shipping:exhausted',
    ]);
    expect(consumers('com.example.order.shipped', { testfault: 'permanent' })).toEqual([
      'audit:permanent',
    ]);
  });
});

describe('parseSoakArgs', () => {
  it('reads the flags over the defaults', () => {
    // Act
    const options = parseSoakArgs(['--events', '2000', '--rate', '40', '--no-restart']);
    // Assess
    expect(options).toMatchObject({ events: 2000, rate: 40, restartAt: undefined, seed: 1 });
  });

  it('fails if a value is out of range', () => {
    expect(() => parseSoakArgs(['--restart-at', '1.5'])).toThrow(
      /--restart-at must be between 0.01 and 0.99 \(given 1.5\)/
    );
  });

  it('fails if a flag is unknown', () => {
    expect(() => parseSoakArgs(['--evnts', '3'])).toThrow(/Unknown option '--evnts'/);
  });
});
