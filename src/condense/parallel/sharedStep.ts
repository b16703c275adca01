/**
 * The shared memory of a parallel step, the same for Node's worker threads (`src/node/parallel`) and
 * the browser app's Web Workers (`web/src/parallel`): one SharedArrayBuffer per array, written by the main thread
 * once per step (the synthetic parameters, the K directions and seeds, the encoded real batch and
 * its outcomes) and read by every worker in place, and the result arrays each worker fills in its
 * own blocks (one per evaluation, so two threads never write the same cache line, which would move
 * between the cores at every write). Nothing of the batch is copied per task: a task message
 * carries only the buffers' handles (shared, not cloned), the batch size, μ and the number of
 * directions.
 *
 * Work is handed out one evaluation (one side of one antithetic pair) at a time: every task of a
 * step claims the next of the 2K evaluations from a shared counter until none is left, so a worker
 * that drew cheap fits takes more of them and none waits for a slow half (fits of the same learner
 * differ in cost with the seed and the perturbed rows: a forest's trees, Newton's iterations; with
 * K/2 directions per worker an rf step at K = 4 kept one worker busy 58 ms and the other 86 ms).
 */
import type { Target } from '../../models/types.js';
import { combineAntitheticLosses, type DirectionEvaluation, type DirectionRequest, type EvaluatorSetup, type InlineDirectionEvaluator } from '../zerothOrder.js';
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
  /** Losses at θ + μu_k and at θ − μu_k, direction-major (k·b + r: one block per evaluation). */
  plus: SharedArrayBuffer;
  minus: SharedArrayBuffer;
  /** One Int32 the workers increment with Atomics when done: the fence that publishes their writes. */
  done: SharedArrayBuffer;
  /** One Int32: the next evaluation of the step to claim (reset to 0 when a step is published). */
  claims: SharedArrayBuffer;
}

/**
 * One task: the evaluations of the K directions of the step now in the buffers, claimed one at a
 * time from the shared counter (evaluation j is direction ⌊j/2⌋, at +μ for even j and −μ for odd
 * j) until all 2K are taken; a step sends the same task to every worker.
 */
export interface DirectionTask {
  buffers: SharedStepBuffers;
  batchSize: number;
  smoothing: number;
  /** K, the step's directions (the seeds buffer can hold more: it is sized for the run's setting). */
  directions: number;
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
    plus: new SharedArrayBuffer(capacity * K * F64),
    minus: new SharedArrayBuffer(capacity * K * F64),
    done: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
    claims: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT),
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
  readonly plus: Float64Array;
  readonly minus: Float64Array;
  readonly done: Int32Array;
  readonly claims: Int32Array;

  constructor(readonly buffers: SharedStepBuffers) {
    this.parameters = new Float64Array(buffers.parameters);
    this.directions = new Float64Array(buffers.directions);
    this.seeds = new Int32Array(buffers.seeds);
    this.batchX = new Float64Array(buffers.batchX);
    this.batchFlags = new Uint8Array(buffers.batchFlags);
    this.batchTimes = new Float64Array(buffers.batchTimes);
    this.plus = new Float64Array(buffers.plus);
    this.minus = new Float64Array(buffers.minus);
    this.done = new Int32Array(buffers.done);
    this.claims = new Int32Array(buffers.claims);
  }

  /** Main thread: publish a step's request (and put all its evaluations up for claiming). */
  write(request: DirectionRequest): void {
    const b = request.batchX.rows;
    Atomics.store(this.claims, 0, 0);
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

  /**
   * Worker side: claim and run evaluations of the task until none is left, writing the losses at
   * +μ into `plus` and at −μ into `minus` (block k, direction-major); `collect` turns them into
   * differences and sums. Returns how many evaluations this worker ran.
   */
  evaluateClaimed(evaluator: InlineDirectionEvaluator, request: DirectionRequest, task: DirectionTask): number {
    const count = 2 * task.directions;
    let evaluated = 0;
    for (let j = Atomics.add(this.claims, 0, 1); j < count; j = Atomics.add(this.claims, 0, 1), evaluated++) {
      const k = j >> 1;
      if (j & 1) evaluator.evaluateOne(request, k, -1, this.minus);
      else evaluator.evaluateOne(request, k, 1, this.plus);
    }
    return evaluated;
  }
}

/**
 * The main thread's side of a pooled step: the shared buffers (reallocated, with a new generation,
 * when a batch exceeds their capacity), the request written into them once, and one task per
 * worker, each claiming evaluations until none is left (any split gives the same numbers).
 */
export class SharedStepWriter {
  private views: StepViews;
  private capacity: number;
  private readonly survival: boolean;
  private readonly p: number;
  private readonly dim: number;
  private last = { b: 0, K: 0 };
  /** The step's record-major differences and sums, combined here from the shared blocks. */
  private differences = new Float64Array(0);
  private sums = new Float64Array(0);

  constructor(setup: EvaluatorSetup) {
    this.survival = setup.synthetic.target.task === 'survival';
    this.p = setup.synthetic.size;
    this.dim = setup.synthetic.encoder.dim;
    this.capacity = setup.batchCapacity;
    this.views = new StepViews(allocateStepBuffers(0, this.p, setup.directions, this.dim, this.capacity, this.survival));
  }

  /** Publish a step's request; returns one task per worker (at most 2K), all the same. */
  publish(request: DirectionRequest, workers: number): DirectionTask[] {
    const K = request.seeds.length;
    const b = request.batchX.rows;
    if (b > this.capacity) {
      this.capacity = Math.max(b, Math.ceil(1.5 * this.capacity));
      this.views = new StepViews(allocateStepBuffers(this.views.buffers.generation + 1, this.p, K, this.dim, this.capacity, this.survival));
    }
    this.views.write(request);
    this.last = { b, K };
    const task: DirectionTask = { buffers: this.views.buffers, batchSize: b, smoothing: request.smoothing, directions: K };
    return Array.from({ length: Math.min(workers, 2 * K) }, () => task);
  }

  /**
   * The calling thread's share of the published step: it claims evaluations like a worker, from
   * its own copy of the request (the same numbers the shared buffers hold), into the shared results.
   */
  evaluateHere(evaluator: InlineDirectionEvaluator, request: DirectionRequest): number {
    const { b, K } = this.last;
    const task: DirectionTask = { buffers: this.views.buffers, batchSize: b, smoothing: request.smoothing, directions: K };
    return this.views.evaluateClaimed(evaluator, request, task);
  }

  /** Once every task of the step has completed: its results (valid until the next `publish`). */
  collect(): DirectionEvaluation {
    const { views } = this;
    const { b, K } = this.last;
    Atomics.load(views.done, 0); // pairs with the workers' Atomics.add: their writes are visible
    if (this.differences.length < b * K) {
      this.differences = new Float64Array(b * K);
      this.sums = new Float64Array(b * K);
    }
    return combineAntitheticLosses(views.plus, views.minus, b, K, this.differences, this.sums);
  }
}
