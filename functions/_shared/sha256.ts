// SHA-256 (FIPS 180-4) over bytes, synchronous and dependency-free.
//
// Why not crypto.subtle or node:crypto: the rollout core must run unchanged in Deno, Node and a
// browser, synchronously (WebCrypto is async-only) and without I/O. Only the first 32-bit word of
// the digest is needed for bucketing, so `sha256FirstWord` skips building the byte array, and
// `sha256FirstWordOfJoined` hashes "<left>:<right>" straight from the strings' character codes
// when it is ASCII and fits one 64-byte block (every ordinary bucket input): no string join, no
// UTF-8 array, no padded copy, no state array; only the rounds.
// tests/unit/rollout/core.test.ts checks both against node:crypto.

const ROUND_CONSTANTS = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INITIAL_STATE = [
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

// The message schedule, shared by both paths: a block is loaded into W[0..15], then compressed.
const W = new Int32Array(64);
const K = new Int32Array(ROUND_CONSTANTS);

function compress(state: Uint32Array, block: Uint8Array, offset: number): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    W[i] = (block[j]! << 24) | (block[j + 1]! << 16) | (block[j + 2]! << 8) | block[j + 3]!;
  }
  compressLoaded(state);
}

/** Expands the block loaded in W[0..15] and runs the 64 rounds into `state`. */
function compressLoaded(state: Uint32Array): void {
  const w = W;
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
  let a = state[0]! | 0, b = state[1]! | 0, c = state[2]! | 0, d = state[3]! | 0;
  let e = state[4]! | 0, f = state[5]! | 0, g = state[6]! | 0, h = state[7]! | 0;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0; state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0; state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0; state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0; state[7] = (state[7]! + h) | 0;
}

function digestState(message: Uint8Array): Uint32Array {
  const state = new Uint32Array(INITIAL_STATE);
  // Message, 0x80, zero padding, then the bit length as a 64-bit big-endian integer.
  const paddedLength = Math.ceil((message.length + 9) / 64) * 64;
  const padded = new Uint8Array(paddedLength);
  padded.set(message);
  padded[message.length] = 0x80;
  const bitLength = message.length * 8;
  const view = new DataView(padded.buffer);
  view.setUint32(paddedLength - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(paddedLength - 4, bitLength >>> 0);
  for (let offset = 0; offset < paddedLength; offset += 64) compress(state, padded, offset);
  return state;
}

/** The whole 32-byte digest. */
export function sha256(message: Uint8Array): Uint8Array {
  const state = digestState(message);
  const out = new Uint8Array(32);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) view.setUint32(i * 4, state[i]!);
  return out;
}

/** The digest's first 4 bytes as a big-endian unsigned 32-bit integer. */
export function sha256FirstWord(message: Uint8Array): number {
  return digestState(message)[0]!;
}

// One-block fast path: the message schedule is filled from the text, then compressed from the
// initial state into a reused state array; only the first word of the result is kept.
const ONE_BLOCK_STATE = new Uint32Array(8);
const utf8 = new TextEncoder();

/** The longest message that fits one block (the 0x80 marker and the 8-byte length follow it). */
const ONE_BLOCK_BYTES = 55;

/**
 * The first digest word of UTF-8("<left>:<right>"), without building that string or its bytes
 * when it is ASCII and at most 55 bytes; otherwise through the general path.
 */
export function sha256FirstWordOfJoined(left: string, right: string): number {
  const leftLength = left.length;
  const length = leftLength + 1 + right.length;
  if (length <= ONE_BLOCK_BYTES) {
    let seen = 0;
    for (let i = 0; i < 14; i++) {
      let word = 0;
      for (let k = 0; k < 4; k++) {
        const j = i * 4 + k;
        const code = j < leftLength ? left.charCodeAt(j) : j === leftLength ? 0x3a : j < length ? right.charCodeAt(j - leftLength - 1) : j === length ? 0x80 : 0;
        seen |= j < length ? code : 0;
        word = (word << 8) | (code & 0xff);
      }
      W[i] = word;
    }
    if (seen < 0x80) {
      W[14] = 0;
      W[15] = length * 8;
      return firstWordOfOneBlock();
    }
  }
  const bytes = utf8.encode(`${left}:${right}`);
  if (bytes.length > ONE_BLOCK_BYTES) return sha256FirstWord(bytes);
  for (let i = 0; i < 14; i++) {
    let word = 0;
    for (let k = 0; k < 4; k++) {
      const j = i * 4 + k;
      word = (word << 8) | (j < bytes.length ? bytes[j]! : j === bytes.length ? 0x80 : 0);
    }
    W[i] = word;
  }
  W[14] = 0;
  W[15] = bytes.length * 8;
  return firstWordOfOneBlock();
}

function firstWordOfOneBlock(): number {
  ONE_BLOCK_STATE.set(INITIAL_STATE);
  compressLoaded(ONE_BLOCK_STATE);
  return ONE_BLOCK_STATE[0]!;
}
