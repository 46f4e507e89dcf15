// Push fan-out: snapshot changes are debounced, then pushed to streams a bounded number at a time.
//
// A publish sets many snapshots in one turn; each changed node's sessions ask for a push. The
// scheduler waits `debounceMs` after the last ask (never more than `maxDelayMs` after the first
// of a burst), then runs at most `concurrency` pushes at once. A push holds its slot until the
// transport took its writes, or `pushTimeoutMs` passed: a slow or dead client then keeps its own
// pending writes (its session coalesces later pushes, see AdsSession.push) but frees the slot,
// so it cannot stall the others. Istio does the same (100 ms debounce, bounded push concurrency). Starting pushes is
// also bounded in time per turn of the event loop, so a large fan-out never starves request handling.
import type { Pushable } from './session.js';

export interface FanoutOptions {
  /** Quiet time after the last change before pushing (default 5 ms: one publish sets every snapshot in one turn). */
  readonly debounceMs?: number;
  /** Longest a change waits for a quiet time (default 100 ms). */
  readonly maxDelayMs?: number;
  /** Pushes running at once (default 128). */
  readonly concurrency?: number;
  /** A push holds its slot at most this long (default 5 s). */
  readonly pushTimeoutMs?: number;
}

/** What the scheduler did, for metrics and the bench. */
export interface FanoutStats {
  /** Pushes started. */
  readonly pushes: number;
  /** Pushes that outlived pushTimeoutMs (a slow or stuck client). */
  readonly timedOut: number;
  /** Bursts flushed (debounce windows that ended). */
  readonly bursts: number;
  /** Targets waiting or running now. */
  readonly queued: number;
  readonly running: number;
}

/** Longest a turn of the event loop spends starting pushes. */
const TURN_BUDGET_MS = 8;

export class PushScheduler {
  readonly #debounceMs: number;
  readonly #maxDelayMs: number;
  readonly #concurrency: number;
  readonly #pushTimeoutMs: number;
  /** Asked for and not started; a Set, so a target asked twice in a burst is pushed once. */
  readonly #waiting = new Set<Pushable>();
  /** Released from the debounce window, in order. */
  readonly #ready = new Set<Pushable>();
  #timer: NodeJS.Timeout | undefined;
  #burstStart = 0;
  #running = 0;
  #pushes = 0;
  #timedOut = 0;
  #bursts = 0;
  #stopped = false;

  constructor(options: FanoutOptions = {}) {
    this.#debounceMs = options.debounceMs ?? 5;
    this.#maxDelayMs = Math.max(options.maxDelayMs ?? 100, this.#debounceMs);
    this.#concurrency = Math.max(1, options.concurrency ?? 128);
    this.#pushTimeoutMs = options.pushTimeoutMs ?? 5000;
  }

  /** Asks for a push of `target` after the current burst. */
  request(target: Pushable): void {
    if (this.#stopped) return;
    const now = Date.now();
    if (this.#waiting.size === 0) this.#burstStart = now;
    this.#waiting.add(target);
    if (this.#timer) clearTimeout(this.#timer);
    const wait = Math.min(this.#debounceMs, Math.max(0, this.#burstStart + this.#maxDelayMs - now));
    this.#timer = setTimeout(() => this.#release(), wait);
  }

  /** Forgets a target (its stream ended). */
  forget(target: Pushable): void {
    this.#waiting.delete(target);
    this.#ready.delete(target);
  }

  stats(): FanoutStats {
    return { pushes: this.#pushes, timedOut: this.#timedOut, bursts: this.#bursts, queued: this.#waiting.size + this.#ready.size, running: this.#running };
  }

  /** Drops everything waiting; running pushes finish on their own. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#waiting.clear();
    this.#ready.clear();
  }

  #release(): void {
    this.#timer = undefined;
    this.#bursts++;
    for (const target of this.#waiting) this.#ready.add(target);
    this.#waiting.clear();
    this.#pump();
  }

  #pump(): void {
    const started = performance.now();
    while (this.#running < this.#concurrency && this.#ready.size > 0) {
      // A turn's budget spent: the rest on the next turn, so ACKs and other I/O are read meanwhile.
      if (performance.now() - started > TURN_BUDGET_MS) {
        setImmediate(() => this.#pump());
        return;
      }
      const target = this.#ready.values().next().value as Pushable;
      this.#ready.delete(target);
      this.#run(target);
    }
  }

  #run(target: Pushable): void {
    this.#running++;
    this.#pushes++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#timedOut++;
        resolve();
      }, this.#pushTimeoutMs);
      timer.unref();
    });
    void Promise.race([target.push().catch(() => undefined), timeout]).then(() => {
      clearTimeout(timer);
      this.#running--;
      // The next batch on a later turn, so requests (ACKs) interleave with a large fan-out.
      if (this.#ready.size > 0) setImmediate(() => this.#pump());
    });
  }
}
