import { describe, expect, it } from 'vitest';
import { ScratchBuffers } from '../../src/core/scratch.js';

describe('ScratchBuffers', () => {
  it('returns views of exactly the asked length that share one buffer per name until it must grow', () => {
    const scratch = new ScratchBuffers();
    const a = scratch.f64('a', 100);
    expect(a.length).toBe(100);
    a.fill(7);
    const smaller = scratch.f64('a', 40);
    expect(smaller.length).toBe(40);
    expect(smaller.buffer).toBe(a.buffer);
    expect(smaller[39]).toBe(7); // not zeroed: callers write before they read
    const other = scratch.f64('b', 40);
    expect(other.buffer).not.toBe(a.buffer);
    const larger = scratch.f64('a', 101);
    expect(larger.length).toBe(101);
    expect(larger.buffer).not.toBe(a.buffer);
    // Grown by half again, so the next few sizes up fit without another allocation.
    expect(scratch.f64('a', 150).buffer).toBe(larger.buffer);
    expect(scratch.i32('c', 5)).toBeInstanceOf(Int32Array);
    expect(scratch.u8('d', 5)).toBeInstanceOf(Uint8Array);
  });
});
