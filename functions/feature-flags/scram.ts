// SCRAM-SHA-256 (RFC 5802, RFC 7677) from the client's side, without channel binding, on Web
// Crypto (crypto.subtle) so it runs in Deno without node:crypto. The password is used as given,
// without SASLprep, as postgres.js does; for ASCII passwords the two are the same.

import { WireProtocolError } from "./pg-wire.ts";

const encoder = new TextEncoder();

/** Bytes on an ArrayBuffer of their own, as Web Crypto takes them. */
type Bytes = Uint8Array<ArrayBuffer>;

export const SCRAM_SHA_256 = "SCRAM-SHA-256";

/** "n,,": this client does not use channel binding (it speaks no TLS). "biws" is its base64. */
const GS2_HEADER = "n,,";

export interface ScramClient {
  /** The client-first-message, sent in SASLInitialResponse. */
  clientFirst: string;
  /** The client-final-message for the server-first-message (SASLContinue). */
  clientFinal(serverFirst: string): Promise<string>;
  /** Throws unless the server-final-message (SASLFinal) proves the server knows the password. */
  verifyServerFinal(serverFinal: string): void;
}

/**
 * user: PostgreSQL ignores the SCRAM user name (the startup message names the user), so "*" is
 * sent, as postgres.js does. nonce: random unless given (tests pass RFC 7677's).
 */
export function scramClient(password: string, options: { user?: string; nonce?: string } = {}): ScramClient {
  const clientNonce = options.nonce ?? randomNonce();
  const clientFirstBare = `n=${options.user ?? "*"},r=${clientNonce}`;
  let expectedServerSignature: string | null = null;
  return {
    clientFirst: GS2_HEADER + clientFirstBare,
    async clientFinal(serverFirst) {
      const attributes = parseAttributes(serverFirst);
      const nonce = attributes.get("r");
      const salt = attributes.get("s");
      const iterations = Number(attributes.get("i"));
      if (!nonce?.startsWith(clientNonce) || nonce.length === clientNonce.length) throw new WireProtocolError("SCRAM: the server's nonce does not extend the client's");
      if (!salt || !Number.isInteger(iterations) || iterations < 1) throw new WireProtocolError("SCRAM: the server's first message lacks a salt or iteration count");
      const withoutProof = `c=${btoa(GS2_HEADER)},r=${nonce}`;
      const authMessage = encoder.encode(`${clientFirstBare},${serverFirst},${withoutProof}`);
      const saltedPassword = await pbkdf2(password, base64Bytes(salt), iterations);
      const clientKey = await hmac(saltedPassword, encoder.encode("Client Key"));
      const storedKey = new Uint8Array(await crypto.subtle.digest("SHA-256", clientKey));
      const clientSignature = await hmac(storedKey, authMessage);
      const serverKey = await hmac(saltedPassword, encoder.encode("Server Key"));
      expectedServerSignature = bytesBase64(await hmac(serverKey, authMessage));
      const proof = clientKey.map((byte, i) => byte ^ clientSignature[i]!);
      return `${withoutProof},p=${bytesBase64(proof)}`;
    },
    verifyServerFinal(serverFinal) {
      const attributes = parseAttributes(serverFinal);
      const error = attributes.get("e");
      if (error !== undefined) throw new WireProtocolError(`SCRAM: the server refused the proof: ${error}`);
      if (expectedServerSignature === null) throw new WireProtocolError("SCRAM: the server's final message came before its first");
      if (attributes.get("v") !== expectedServerSignature) throw new WireProtocolError("SCRAM: the server's signature is wrong: it does not know the password");
    },
  };
}

/** "a=1,b=2" -> {a: "1", b: "2"}; values may contain "=" (base64). */
function parseAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of text.split(",")) {
    const at = part.indexOf("=");
    if (at === 1) attributes.set(part[0]!, part.slice(2));
  }
  return attributes;
}

function randomNonce(): string {
  return bytesBase64(crypto.getRandomValues(new Uint8Array(18)));
}

async function pbkdf2(password: string, salt: Bytes, iterations: number): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, 256));
}

async function hmac(keyBytes: Bytes, data: Bytes): Promise<Bytes> {
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, data));
}

function base64Bytes(text: string): Bytes {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

function bytesBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
