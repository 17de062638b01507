// A one-off timer for the code on the way to the function's first answer, without setTimeout.
//
// Why: in Deno (2.9) setTimeout returns Node's Timeout object, and the first call loads Node's
// timers for it: about 14 ms, as long as the rest of the function's own start. AbortSignal.timeout
// runs on Deno's web timers, which are loaded already. Node has AbortSignal.timeout as well.

/** Calls `callback` once after `ms`, unless the returned function is called first. */
export function after(ms: number, callback: () => void): () => void {
  const signal = AbortSignal.timeout(ms);
  signal.addEventListener("abort", callback, { once: true });
  return () => signal.removeEventListener("abort", callback);
}
