// The module-level cache of the flags table: one database read per TTL however many requests
// arrive, and the last good read served (bounded) while the database is unreachable.
//
//   fresh        read less than ttl ago: served as is.
//   refresh      older than ttl: the first request starts one read (single flight); requests
//                wait for it at most refreshWaitMs (default 50 ms), then are served the flags
//                they have meanwhile (stale-while-revalidate), so a slow or hanging database
//                never delays a lookup by more than that. They wait for the read itself only when
//                there is nothing to serve yet (the first read), the flags are older than
//                staleLimit, or this instance just changed a flag (invalidate()).
//   stale        the read failed: the last good flags are served, marked stale, until they are
//                staleLimit old; the next read is tried one ttl after the failed one, so a dead
//                database is not hammered by every request.
//   unavailable  no good read, or the last one is too old: no flags (every flag off, reason ERROR).
//
// No I/O of its own: the loader and the clock are passed in, so tests drive it directly.

import type { FlagDefinition } from "../_shared/rollout.ts";

export type FlagLoader = () => Promise<FlagDefinition[]>;

export type SourceState = "fresh" | "stale" | "unavailable";

export interface FlagSnapshot {
  /** null when no flags can be served (state "unavailable"). */
  flags: ReadonlyMap<string, FlagDefinition> | null;
  state: SourceState;
  /** When the served flags were read (epoch ms), null when none. */
  fetchedAt: number | null;
  /** Age of the served flags in ms, null when none. */
  ageMs: number | null;
  /** Why the last read failed, when it did. */
  lastError: string | null;
  /** Keys of the last good read, kept when its values are too old to serve (answered ERROR). */
  lastKnownKeys: readonly string[];
}

export interface FlagCacheOptions {
  load: FlagLoader;
  ttlMs: number;
  staleLimitMs: number;
  now?: () => number;
  /** How long a request waits for a due read before being served the flags it has. Default 50 ms. */
  refreshWaitMs?: number;
  /** Called once per failed read, e.g. to log it. */
  onLoadError?: (error: unknown) => void;
}

interface GoodRead {
  flags: Map<string, FlagDefinition>;
  keys: readonly string[];
  fetchedAt: number;
}

export class FlagCache {
  /** keys: derived once per read, not per request (peek runs on every lookup). */
  #good: GoodRead | null = null;
  #lastAttemptAt: number | null = null;
  #lastError: string | null = null;
  #inFlight: Promise<void> | null = null;
  /** Set by invalidate(): the next request waits for the read, so it serves this instance's own write. */
  #waitForRead = true;
  #reads = 0;
  #lastPeek: { at: number; good: GoodRead | null; lastError: string | null; snapshot: FlagSnapshot } | null = null;
  readonly #options: FlagCacheOptions;
  readonly #now: () => number;

  constructor(options: FlagCacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** How many times the loader has been called (reported by /health; checked by tests). */
  get reads(): number {
    return this.#reads;
  }

  /** The flags to serve now, reading the table first when the cache is due. Never throws. */
  async snapshot(): Promise<FlagSnapshot> {
    if (this.#due()) {
      const read = this.#refresh();
      const good = this.#good;
      if (this.#waitForRead || !good || this.#now() - good.fetchedAt > this.#options.staleLimitMs) await read;
      else await waitAtMost(read, this.#options.refreshWaitMs ?? 50);
    }
    return this.peek();
  }

  /** The flags to serve now when no read is due, without waiting; null when snapshot() must read. */
  current(): FlagSnapshot | null {
    // One clock reading for both questions (this runs on every lookup).
    const now = this.#now();
    return this.#dueAt(now) ? null : this.#peekAt(now);
  }

  /** The flags to serve now, without reading the table. */
  peek(): FlagSnapshot {
    return this.#peekAt(this.#now());
  }

  #peekAt(now: number): FlagSnapshot {
    // Lookups within the same millisecond share one snapshot (nothing in it can differ).
    const last = this.#lastPeek;
    if (last !== null && last.at === now && last.good === this.#good && last.lastError === this.#lastError) return last.snapshot;
    const snapshot = this.#build(now);
    this.#lastPeek = { at: now, good: this.#good, lastError: this.#lastError, snapshot };
    return snapshot;
  }

  #build(now: number): FlagSnapshot {
    const good = this.#good;
    const age = good ? now - good.fetchedAt : null;
    const lastError = this.#lastError;
    if (!good || age === null) {
      return { flags: null, state: "unavailable", fetchedAt: null, ageMs: null, lastError, lastKnownKeys: [] };
    }
    const served = { fetchedAt: good.fetchedAt, ageMs: age, lastError, lastKnownKeys: good.keys };
    if (lastError === null) return { flags: good.flags, state: "fresh", ...served };
    if (age <= this.#options.staleLimitMs) return { flags: good.flags, state: "stale", ...served };
    return { flags: null, state: "unavailable", ...served };
  }

  /** Forget the cache age so the next request reads the table (after this instance wrote it). */
  invalidate(): void {
    this.#lastAttemptAt = null;
    this.#waitForRead = true;
  }

  #due(): boolean {
    return this.#dueAt(this.#now());
  }

  #dueAt(now: number): boolean {
    return this.#lastAttemptAt === null || now - this.#lastAttemptAt >= this.#options.ttlMs;
  }

  #refresh(): Promise<void> {
    this.#inFlight ??= this.#read().finally(() => {
      this.#inFlight = null;
    });
    return this.#inFlight;
  }

  async #read(): Promise<void> {
    this.#reads += 1;
    try {
      const rows = await this.#options.load();
      const flags = new Map(rows.map((flag) => [flag.key, flag]));
      this.#good = { flags, keys: [...flags.keys()], fetchedAt: this.#now() };
      this.#lastError = null;
      this.#waitForRead = false;
    } catch (error) {
      this.#lastError = error instanceof Error ? error.message : String(error);
      this.#options.onLoadError?.(error);
    } finally {
      this.#lastAttemptAt = this.#now();
    }
  }
}

/** Resolves when work settles or after ms, whichever comes first. */
function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
