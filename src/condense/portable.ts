/**
 * A condensation result as plain data: typed arrays, numbers, strings and plain objects only, so it
 * survives `postMessage` (structured clone) from a Web Worker or worker thread. The one class
 * instance in a `CondenseResult`, the encoder, travels as the state it is rebuilt from.
 */
import { Encoder, type EncoderState } from '../data/encoding.js';
import type { CondenseResult } from './condense.js';

export interface PortableCondenseResult extends Omit<CondenseResult, 'encoder'> {
  encoder: EncoderState;
}

export function toPortableResult(result: CondenseResult): PortableCondenseResult {
  return { ...result, encoder: result.encoder.toState() };
}

export function fromPortableResult(portable: PortableCondenseResult): CondenseResult {
  return { ...portable, encoder: Encoder.fromState(portable.encoder) };
}
