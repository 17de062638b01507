// FNV-1a with 64 bits, worked on two 32-bit halves (JavaScript numbers are doubles, and BigInt
// arithmetic is far slower): a fast, non-cryptographic hash for the OFREP ETag. A collision there
// would cost one client a 304 for an answer of its own that changed, and the chance of one
// between two answers is about 2^-64; nobody else's answer is involved, so nothing gains from a
// cryptographic hash, which cost the bulk lookup several microseconds per request.

/** 2^40 + 0x1b3, of which the low part is multiplied here and the 2^40 part is a shift. */
const PRIME_LOW = 0x1b3;
const TWO_32 = 4294967296;

export class Fnv64 {
  #hi = 0xcbf29ce4;
  #lo = 0x84222325;

  /** Adds one byte (0..255). */
  byte(value: number): this {
    const lo = (this.#lo ^ value) >>> 0;
    const product = lo * PRIME_LOW; // below 2^41: exact
    const low = product >>> 0;
    this.#hi = (Math.imul(this.#hi, PRIME_LOW) + (product - low) / TWO_32 + (lo << 8)) >>> 0;
    this.#lo = low;
    return this;
  }

  /** Adds a 32-bit unsigned integer, low byte first. */
  uint32(value: number): this {
    return this.byte(value & 0xff).byte((value >>> 8) & 0xff).byte((value >>> 16) & 0xff).byte(value >>> 24);
  }

  /** Adds a text as its UTF-16 code units, each low byte first (the same text, the same bytes). */
  text(value: string): this {
    for (let i = 0; i < value.length; i++) {
      const unit = value.charCodeAt(i);
      this.byte(unit & 0xff).byte(unit >>> 8);
    }
    return this;
  }

  /** The 64 bits as 16 hex digits. */
  hex(): string {
    return this.#hi.toString(16).padStart(8, "0") + this.#lo.toString(16).padStart(8, "0");
  }

  /** The two halves, to add to another hash (see uint32). */
  get high(): number {
    return this.#hi;
  }

  get low(): number {
    return this.#lo;
  }
}
