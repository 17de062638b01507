// Deterministic test subjects: tenant ids, uuids, e-mail-like ids and non-ASCII text (Latin
// accents in composed and decomposed form, CJK, emoji, RTL), all valid UTF-8 without NUL (which
// Postgres text cannot hold). The same list every run, so statistical bounds never flake.
import { seededRandom as prng } from "../../bench/lib/seeded-random.ts";

const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz0123456789-_",
  "äöüßéèêçñøåæœ",
  "e\u0301a\u0308o\u0302",
  "日本語のテナント中文한국어",
  "🚀🙂👩‍💻🏳️‍🌈",
  "עבריתالعربية",
  " :/\\'\"%$",
];

function randomText(random: () => number, maxLength: number): string {
  const length = 1 + Math.floor(random() * maxLength);
  let text = "";
  for (let i = 0; i < length; i++) {
    const alphabet = [...ALPHABETS[Math.floor(random() * ALPHABETS.length)]!];
    text += alphabet[Math.floor(random() * alphabet.length)];
  }
  return text;
}

function uuidLike(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** `count` distinct subjects; about a third are non-ASCII. */
export function generateSubjects(count: number, seed = 20261125): string[] {
  const random = prng(seed);
  const subjects = new Set<string>();
  for (let i = 0; subjects.size < count; i++) {
    switch (i % 6) {
      case 0: subjects.add(`tenant-${i}`); break;
      case 1: subjects.add(uuidLike(random)); break;
      case 2: subjects.add(`user${i}@example.com`); break;
      case 3: subjects.add(`${randomText(random, 12)}-${i}`); break;
      case 4: subjects.add(`テナント${i}`); break;
      default: subjects.add(`${i}-${randomText(random, 24)}`);
    }
  }
  return [...subjects];
}

export function isAscii(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}
