import { SeededRng } from '../../src/core/rng.js';
import { CryptoRng } from '../../src/privacy/random.js';

/** A CryptoRng whose "WebCrypto" is a seeded stream: the secure code path, reproducible for tests. */
export function seededCrypto(seed: number): CryptoRng {
  const source = new SeededRng(seed);
  return new CryptoRng({
    getRandomValues<T extends ArrayBufferView | null>(array: T): T {
      const words = array as unknown as Uint32Array;
      for (let i = 0; i < words.length; i++) words[i] = source.nextUint32();
      return array;
    },
  });
}
