// sql.begin that sends nothing more on a connection once it has closed under the transaction.
//
// Why: postgres.js (3.4.9, the latest at the time of writing) can end the whole process when a
// transaction's connection closes under it (the server terminated the backend, a reset, a proxy
// dropped it). sql.begin answers a failed callback by sending ROLLBACK on the same connection, and
// any query issued on a connection whose socket is gone is written from a setImmediate callback
// that dereferences the closed socket. The TypeError thrown there ("Cannot read properties of null
// (reading 'write')") belongs to no promise, so no try/catch of the caller can catch it (upstream:
// https://github.com/porsager/postgres/issues/1154 and /issues/1208).
//
// Nothing needs to be sent there anyway: the server rolls back a transaction whose connection
// ended. So, without touching the client's options or the process:
//   - once a query of the transaction failed because the connection is gone (the error codes
//     below, which postgres.js and Node give only for a closed or closing socket), the callback
//     never settles: sql.begin watches its connection and rejects by itself with CONNECTION_CLOSED,
//     and postgres.js has no ROLLBACK to write;
//   - the transaction handed to fn refuses new queries (a CONNECTION_CLOSED error, thrown before
//     anything is written) once the connection is known to be gone, e.g. when fn awaited something
//     else while it closed. Queries of a savepoint's own callback are not guarded.
// Every other error (a constraint, a refused permission, fn's own) rolls back as usual.
// Pure of I/O of its own: Node and Deno alike.

/** Codes of an error raised because the socket under the connection closed. */
const CONNECTION_GONE_CODES = new Set([
  "CONNECTION_CLOSED", "ECONNRESET", "EPIPE", "ECONNABORTED", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH",
]);

export function isConnectionGone(error: unknown): boolean {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && CONNECTION_GONE_CODES.has(code);
}

/** The methods of a postgres.js transaction that send a query. */
const SENDING_METHODS = new Set<PropertyKey>(["unsafe", "file", "savepoint"]);

// deno-lint-ignore no-explicit-any
type AnyFunction = (...args: any[]) => any;

/** Runs fn in sql.begin(fn), resolving or rejecting as sql.begin does, without crashing on a closed connection. */
export function beginCloseSafe<Tx extends object, T>(
  sql: { begin(callback: (tx: Tx) => Promise<T>): Promise<unknown> },
  fn: (tx: Tx) => Promise<T>,
): Promise<T> {
  let gone = false;
  const refuseIfGone = () => {
    if (gone) throw Object.assign(new Error("the transaction's connection closed; nothing more is sent on it"), { code: "CONNECTION_CLOSED" });
  };
  const transaction = sql.begin(async (tx) => {
    const guarded = new Proxy(tx, {
      apply(target, self, args) {
        refuseIfGone();
        return Reflect.apply(target as AnyFunction, self, args);
      },
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        if (typeof value !== "function" || !SENDING_METHODS.has(key)) return value;
        return (...args: unknown[]) => {
          refuseIfGone();
          return (value as AnyFunction).apply(target, args);
        };
      },
    });
    try {
      return await fn(guarded);
    } catch (error) {
      if (!gone && !isConnectionGone(error)) throw error;
      gone = true;
      // Settling would make postgres.js write ROLLBACK (or COMMIT) to the closed connection.
      return new Promise<T>(() => {});
    }
  }) as Promise<T>;
  transaction.catch(() => {
    gone = true;
  });
  return transaction;
}
