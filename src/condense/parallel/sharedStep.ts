/**
 * The shared memory of a parallel step, the same for Node's worker threads (`src/node/parallel`) and
 * the browser app's Web Workers (`web/src/parallel`): one SharedArrayBuffer per array, written by the main thread
 * once per step (the synthetic parameters, the K directions and seeds, the encoded real batch and
 * its outcomes) and read by every worker in place, and the result arrays each worker fills in its
 * own columns. Nothing of the batch is copied per task: a task message carries only the buffers'
 * handles (shared, not cloned), the batch size, μ and the range of directions.
 */
import type { Target } from '../../models/types.js';
import type { DirectionEvaluation, DirectionRequest, EvaluatorSetup } from '../zerothOrder.js';
import { matrix } from '../../core/matrix.js';

export interface SharedStepBuffers {
  /** Bumped whenever the buffers are reallocated (a batch larger than the capacity). */
  generation: number;
  parameters: SharedArrayBuffer;
  directions: SharedArrayBuffer;
  seeds: SharedArrayBuffer;
  batchX: SharedArrayBuffer;
  /** Classification labels, or survival event flags. */
  batchFlags: SharedArrayBuffer;
  /** Survival times (empty for classification). */
  batchTimes: SharedArrayBuffer;
  differences: SharedArrayBuffer;
  sums: SharedArrayBuffer;
  /** One Int32 the workers increment with Atomics when done: the fence that publishes their writes. */
  done: SharedArrayBuffer;
}

/** One task: directions [from, to) of the step now in the buffers. */
export interface DirectionTask {
  buffers: SharedStepBuffers;
  batchSize: number;
  smoothing: number;
  from: number;
  to: number;
}

const F64 = Float64Array.BYTES_PER_ELEMENT;

export function allocateStepBuffers(generation: number, p: number, K: number, dim: number, capacity: number, survival: boolean): SharedStepBuffers {
  return {
    generation,
    parameters: new SharedArrayBuffer(p * F64),
    directions: new SharedArrayBuffer(K * p * F64),
    seeds: new SharedArrayBuffer(K * Int32Array.BYTES_PER_ELEMENT),
    batchX: new SharedArrayBuffer(capacity * dim * F64),
    batchFlags: new SharedArrayBuffer(capacity),
    batchTimes: new SharedArrayBuffer(survival ? capacity * F64 : 0),
    differences: new SharedArrayBuffer(capacity * K * F64),
    sums: new SharedArrayBuffer(capacity * K * F64),
    done: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
  };
}

/** Typed views over a step's buffers (the same on both sides). */
export class StepViews {
  readonly parameters: Float64Array;
  readonly directions: Float64Array;
  readonly seeds: Int32Array;
  readonly batchX: Float64Array;
  readonly batchFlags: Uint8Array;
  readonly batchTimes: Float64Array;
  readonly differences: Float64Array;
  readonly sums: Float64Array;
  readonly done: Int32Array;

  constructor(readonly buffers: SharedStepBuffers) {
    this.parameters = new Float64Array(buffers.parameters);
    this.directions = new Float64Array(buffers.directions);
    this.seeds = new Int32Array(buffers.seeds);
    this.batchX = new Float64Array(buffers.batchX);
    this.batchFlags = new Uint8Array(buffers.batchFlags);
    this.batchTimes = new Float64Array(buffers.batchTimes);
    this.differences = new Float64Array(buffers.differences);
    this.sums = new Float64Array(buffers.sums);
    this.done = new Int32Array(buffers.done);
  }

  /** Main thread: publish a step's request. */
  write(request: DirectionRequest): void {
    const b = request.batchX.rows;
    this.parameters.set(request.parameters);
    this.directions.set(request.directions);
    this.seeds.set(request.seeds);
    this.batchX.set(request.batchX.data.subarray(0, b * request.batchX.cols));
    const target = request.batchTarget;
    if (target.task === 'classification') this.batchFlags.set(target.y.subarray(0, b));
    else {
      this.batchFlags.set(target.event.subarray(0, b));
      this.batchTimes.set(target.time.subarray(0, b));
    }
  }

  /** Worker side: the request as views of the shared memory. */
  request(task: DirectionTask, dim: number, survival: boolean): DirectionRequest {
    const b = task.batchSize;
    const batchTarget: Target = survival
      ? { task: 'survival', time: this.batchTimes.subarray(0, b), event: this.batchFlags.subarray(0, b) }
      : { task: 'classification', y: this.batchFlags.subarray(0, b) };
    return {
      parameters: this.parameters,
      directions: this.directions,
      seeds: this.seeds,
      smoothing: task.smoothing,
      batchX: matrix(b, dim, this.batchX.subarray(0, b * dim)),
      batchTarget,
    };
  }
}

/**
 * The main thread's side of a pooled step: the shared buffers (reallocated, with a new generation,
 * when a batch exceeds their capacity), the request written into them once, and the K directions
 * split into contiguous ranges, one task per worker (any split gives the same numbers).
 */
export class SharedStepWriter {
  private views: StepViews;
  private capacity: number;
  private readonly survival: boolean;
  private readonly p: number;
  private readonly dim: number;
  private last = { b: 0, K: 0 };

  constructor(setup: EvaluatorSetup) {
    this.survival = setup.synthetic.target.task === 'survival';
    this.p = setup.synthetic.size;
    this.dim = setup.synthetic.encoder.dim;
    this.capacity = setup.batchCapacity;
    this.views = new StepViews(allocateStepBuffers(0, this.p, setup.directions, this.dim, this.capacity, this.survival));
  }

  /** Publish a step's request; returns one task per worker (at most K). */
  publish(request: DirectionRequest, workers: number): DirectionTask[] {
    const K = request.seeds.length;
    const b = request.batchX.rows;
    if (b > this.capacity) {
      this.capacity = Math.max(b, Math.ceil(1.5 * this.capacity));
      this.views = new StepViews(allocateStepBuffers(this.views.buffers.generation + 1, this.p, K, this.dim, this.capacity, this.survival));
    }
    this.views.write(request);
    this.last = { b, K };
    const tasks = Math.min(workers, K);
    return Array.from({ length: tasks }, (_, t) => ({
      buffers: this.views.buffers,
      batchSize: b,
      smoothing: request.smoothing,
      from: Math.floor((t * K) / tasks),
      to: Math.floor(((t + 1) * K) / tasks),
    }));
  }

  /** Once every task of the step has completed: its results (valid until the next `publish`). */
  collect(): DirectionEvaluation {
    const { views } = this;
    const n = this.last.b * this.last.K;
    Atomics.load(views.done, 0); // pairs with the workers' Atomics.add: their writes are visible
    return { differences: views.differences.subarray(0, n), sums: views.sums.subarray(0, n) };
  }
}
