/**
 * Output transactions for the CLI: every file a run writes (synthetic CSV, receipt, trace, card
 * draft, report, ...) is committed as one unit, or not at all.
 *
 * - `planOutputs` runs before any data is read: it checks that every output directory exists and
 *   is writable, that no output names an existing directory, that the outputs are distinct files
 *   and that none of them is an input (compared by real path and by device/inode, so symlinks,
 *   `./x` and hard links are caught), and that without `--force` no output exists yet.
 * - `OutputPlan.commit` writes every content to a temporary file in its target's directory, takes
 *   a lock file per target (in sorted path order, so two runs never deadlock), and then, with every
 *   lock held, publishes all targets in one synchronous section: without `--force` by `link()` of
 *   each temporary file to its final name, which fails if the name exists (exclusive creation, so a
 *   file made by anyone at any time before the commit is never replaced); with `--force` by
 *   `rename()` over the old files. If one exclusive link fails, the links already made are removed
 *   again, so none of the outputs remain. The temporary files and locks are always removed.
 *
 * Why locks as well as exclusive creation: two `--force` runs renaming the same pair in turn could
 * otherwise leave run A's CSV beside run B's receipt. Every dpcondense run publishes its whole set
 * while holding the locks of all its targets, so concurrent runs publish their sets one after the
 * other, and the last complete set wins. A lock is a file `.NAME.dpcondense-lock` next to the
 * target holding the owner's pid; a lock whose owner no longer runs (killed while committing) is
 * taken over.
 *
 * The publishing section is synchronous, so a signal handler (interrupt.ts) can only run before it
 * (then it removes the temporary files and locks: nothing written) or after it (all written).
 */
import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, linkSync, lstatSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync, fsyncSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './context.js';
import { markOutputsPublished, onInterrupt } from './interrupt.js';

/** An output the user asked for already exists and `--force` was not given (exit 2: an option conflict). */
export class OutputExistsError extends UsageError {
  override name = 'OutputExistsError';
}

/** One output of a run: the option that names it (for messages) and its path. */
export interface OutputRequest {
  option: string;
  path: string;
}

/** A file the run reads: outputs may not be any of them. */
export interface InputFile {
  option: string;
  path: string;
}

export interface PlanOptions {
  /** Replace existing outputs (`--force`). */
  force?: boolean;
  /** Files the run reads (data, card, bounds): no output may be one of them. */
  inputs?: readonly InputFile[];
  /** How long to wait for another run's locks before giving up (ms; default 30 s). */
  lockTimeoutMs?: number;
}

interface PlannedTarget extends OutputRequest {
  /** Absolute path with the directory's symlinks resolved. */
  canonical: string;
}

/** `path` with its directory resolved through symlinks (the file itself may not exist yet). */
function canonicalPath(path: string): string {
  const absolute = resolve(path);
  try {
    return realpathSync(absolute);
  } catch {
    try {
      return join(realpathSync(dirname(absolute)), basename(absolute));
    } catch {
      return absolute;
    }
  }
}

/** Device and inode of an existing file, to recognise hard links; undefined when absent. */
function fileIdentity(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Validate a run's outputs before anything is read or spent; throws a UsageError naming the
 * option. The returned plan is committed once the contents exist.
 */
export function planOutputs(requests: readonly OutputRequest[], options: PlanOptions = {}): OutputPlan {
  const targets: PlannedTarget[] = [];
  const inputs = (options.inputs ?? []).map((input) => ({ ...input, canonical: canonicalPath(input.path), identity: fileIdentity(input.path) }));
  for (const request of requests) {
    const { option, path } = request;
    if (path === '') throw new UsageError(`${option}: the file name is empty`);
    if (path === '-') throw new UsageError(`${option} -: this command cannot write to standard output; give a file name`);
    const directory = dirname(resolve(path));
    let directoryStat;
    try {
      directoryStat = statSync(directory);
    } catch {
      throw new UsageError(`${option} ${path}: the directory ${directory} does not exist`);
    }
    if (!directoryStat.isDirectory()) throw new UsageError(`${option} ${path}: ${directory} is not a directory`);
    try {
      accessSync(directory, constants.W_OK | constants.X_OK);
    } catch {
      throw new UsageError(`${option} ${path}: the directory ${directory} is not writable`);
    }
    let existing;
    try {
      existing = lstatSync(path);
    } catch {
      existing = undefined;
    }
    if (existing?.isDirectory()) throw new UsageError(`${option} ${path}: is a directory`);
    const canonical = canonicalPath(path);
    const identity = fileIdentity(path);
    for (const input of inputs) {
      if (input.canonical === canonical || (identity !== undefined && identity === input.identity)) {
        throw new UsageError(`${option} ${path}: is the input ${input.option} ${input.path}; an output may never replace an input`);
      }
    }
    for (const other of targets) {
      if (other.canonical === canonical || (identity !== undefined && identity === fileIdentity(other.path))) {
        throw new UsageError(`${option} ${path}: the same file as ${other.option} ${other.path}; every output needs its own file`);
      }
    }
    if (existing && !options.force) throw new OutputExistsError(`${option} ${path}: already exists; pass --force to overwrite it`);
    targets.push({ ...request, canonical });
  }
  return new OutputPlan(targets, Boolean(options.force), options.lockTimeoutMs ?? 30_000);
}

/** A validated set of outputs, committed together by `commit`. */
export class OutputPlan {
  constructor(
    private readonly targets: readonly PlannedTarget[],
    private readonly force: boolean,
    private readonly lockTimeoutMs: number,
  ) {}

  /** The output paths, in the order they were requested. */
  get paths(): string[] {
    return this.targets.map((t) => t.path);
  }

  /**
   * Write every output (`contents[i]` for the i-th request) or none. Throws OutputExistsError when,
   * without `--force`, a target appeared since planning (e.g. made by a concurrent run).
   */
  async commit(contents: readonly (string | Uint8Array)[]): Promise<void> {
    if (contents.length !== this.targets.length) throw new Error(`OutputPlan.commit: ${contents.length} contents for ${this.targets.length} outputs`);
    // Sorted by real path: every run takes overlapping locks in the same order.
    const order = this.targets.map((target, i) => ({ target, content: contents[i] })).sort((a, b) => (a.target.canonical < b.target.canonical ? -1 : 1));
    const token = `${process.pid}.${randomBytes(6).toString('hex')}`;
    const temps: string[] = [];
    const locks: string[] = [];
    const cleanUp = () => {
      for (const temp of temps) removeQuietly(temp);
      for (const lock of locks) removeQuietly(lock);
      temps.length = 0;
      locks.length = 0;
    };
    const unregister = onInterrupt(cleanUp);
    try {
      for (const { target, content } of order) {
        const temp = join(dirname(target.canonical), `.${basename(target.canonical)}.${token}.tmp`);
        temps.push(temp);
        writeDurably(temp, content);
      }
      for (const { target } of order) locks.push(await acquireLock(target, token, this.lockTimeoutMs));
      // From here to the end of the try block nothing awaits: the publication is one synchronous step.
      if (this.force) {
        order.forEach(({ target }, i) => renameSync(temps[i], target.canonical));
        temps.length = 0;
      } else {
        this.linkAllOrNone(order.map((o) => o.target), temps);
      }
      markOutputsPublished();
    } finally {
      cleanUp();
      unregister();
    }
  }

  private linkAllOrNone(targets: readonly PlannedTarget[], temps: readonly string[]): void {
    const linked: number[] = [];
    for (let i = 0; i < targets.length; i++) {
      try {
        linkSync(temps[i], targets[i].canonical);
        linked.push(i);
      } catch (error) {
        // Undo: the names linked so far are ours (exclusive creation) and hold our temporary files.
        for (const j of linked) {
          if (fileIdentity(targets[j].canonical) === fileIdentity(temps[j])) removeQuietly(targets[j].canonical);
        }
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new OutputExistsError(`${targets[i].option} ${targets[i].path}: already exists (created while this run was working); nothing was written; pass --force to overwrite it`);
        }
        throw error;
      }
    }
  }
}

/** Write a file and flush it to disk, so a published name never points at a partly written file. */
function writeDurably(path: string, content: string | Uint8Array): void {
  const fd = openSync(path, 'wx', 0o644);
  try {
    if (typeof content === 'string') writeFileSync(fd, content);
    else writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function lockPath(target: PlannedTarget): string {
  return join(dirname(target.canonical), `.${basename(target.canonical)}.dpcondense-lock`);
}

/** Create the target's lock file exclusively, waiting (with back-off) while another live run holds it. */
async function acquireLock(target: PlannedTarget, token: string, timeoutMs: number): Promise<string> {
  const path = lockPath(target);
  const started = Date.now();
  let wait = 2;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeFileSync(fd, token);
      closeSync(fd);
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    takeOverIfStale(path);
    if (Date.now() - started > timeoutMs) {
      throw new OutputExistsError(`${target.option} ${target.path}: another run has been writing it for ${Math.round(timeoutMs / 1000)} s (lock ${path}); nothing was written`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
    wait = Math.min(wait * 2, 100);
  }
}

/** Remove a lock whose owner process is gone (it was killed while committing). */
function takeOverIfStale(path: string): void {
  let owner: string;
  try {
    owner = readFileSync(path, 'utf8');
  } catch {
    return; // released meanwhile
  }
  const pid = Number(owner.split('.')[0]);
  // An empty lock is one being written right now: leave it.
  if (!Number.isInteger(pid) || pid <= 0 || processIsAlive(pid)) return;
  try {
    if (readFileSync(path, 'utf8') === owner) unlinkSync(path);
  } catch {
    // someone else took it over first
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
