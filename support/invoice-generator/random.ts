/**
 * A small seeded PRNG (mulberry32): every choice of the generator draws from it, so the same (layout, seed)
 * always gives the same invoice, byte for byte.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
  /** `count` random decimal digits. */
  digits(count: number): string;
}

export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick<T>(items: readonly T[]): T {
      const item = items[int(0, items.length - 1)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    chance: (probability) => next() < probability,
    digits: (count) => Array.from({ length: count }, () => String(int(0, 9))).join(''),
  };
}

/** A seed for one part of an invoice, so adding a draw to one part does not shift every other. */
export function deriveSeed(seed: number, salt: string): number {
  let hash = seed >>> 0;
  for (let i = 0; i < salt.length; i += 1) hash = Math.imul(hash ^ salt.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
