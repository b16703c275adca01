/**
 * Named work buffers a model keeps across fits, grown when a fit needs more (by half again, so a
 * run of slowly growing sizes reallocates rarely); each request returns a view of exactly the
 * asked length. Inside condensation a learner refits on every evaluation, and every fresh typed
 * array longer than 64 bytes is its own malloc'd, zeroed backing store that V8's helper threads
 * later sweep and free: for MST's belief propagation, logistic Newton fits and Cox fits that was
 * hundreds of thousands of backing stores per experiment grid, work that competes with the cells
 * for the cores when the grid runs on all of them. The caller must write (or zero) every entry
 * before reading it, so results never depend on earlier fits. Not shared between threads.
 */
type ScratchArray = Float64Array | Int32Array | Uint8Array;

export class ScratchBuffers {
  private readonly buffers = new Map<string, ScratchArray>();

  f64(name: string, length: number): Float64Array {
    return this.view(name, length, Float64Array);
  }

  i32(name: string, length: number): Int32Array {
    return this.view(name, length, Int32Array);
  }

  u8(name: string, length: number): Uint8Array {
    return this.view(name, length, Uint8Array);
  }

  private view<T extends ScratchArray>(name: string, length: number, type: new (length: number) => T): T {
    let buffer = this.buffers.get(name) as T | undefined;
    if (!buffer || buffer.length < length) this.buffers.set(name, (buffer = new type(Math.max(length, Math.ceil(1.5 * (buffer?.length ?? 0))))));
    return buffer.subarray(0, length) as T;
  }
}
