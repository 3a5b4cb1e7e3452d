/**
 * A small seeded pseudo-random generator, so that a soak run is reproducible from its seed:
 * the same seed gives the same events, faults and duplicates.
 */

/** A seeded source of uniform numbers and the few draws the soak needs. */
export interface Random {
  /** Uniform number in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** `true` with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** One key, chosen with probability proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K;
  /** A generator seeded from this one, so that one stream of draws does not shift another. */
  fork(label: string): Random;
}

/**
 * Creates a generator: sfc32 (a small fast counter generator, good statistical quality and a
 * period of at least 2^32) seeded through splitmix32 from the seed and an optional label.
 *
 * @see https://pracrand.sourceforge.net/RNG_engines.txt (sfc32)
 */
export function createRandom(seed: number, label = ''): Random {
  let state = mix(seed >>> 0);
  for (let index = 0; index < label.length; index++) {
    state = mix((state ^ label.charCodeAt(index)) >>> 0);
  }
  const split = splitmix32(state);
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next = (): number => {
    // sfc32: every operation is on unsigned 32-bit integers.
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4_294_967_296;
  };
  // The first outputs of a fresh state are poorly mixed; sfc32's authors discard a few.
  for (let index = 0; index < 12; index++) next();
  const random: Random = {
    next,
    int(min, max) {
      return min + Math.floor(next() * (max - min + 1));
    },
    chance(p) {
      return next() < p;
    },
    pick(items) {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('cannot pick from an empty list');
      return item;
    },
    weighted(weights) {
      const entries = Object.entries(weights) as [keyof typeof weights, number][];
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      let draw = next() * total;
      for (const [key, weight] of entries) {
        draw -= weight;
        if (draw < 0) return key;
      }
      const last = entries.at(-1);
      if (!last) throw new RangeError('cannot pick from no weights');
      return last[0];
    },
    fork(forkLabel) {
      return createRandom(Math.floor(next() * 4_294_967_296), forkLabel);
    },
  };
  return random;
}

function mix(value: number): number {
  let z = (value + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    return mix(state);
  };
}
