// "Did you mean": the one suggestion rule of the library's option checks, the brain.js facade and
// the `wasmlp` command.

/** The closest of `known` to `word` (case-insensitive edit distance; the first on a tie), if it is a likely typo. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) { bestD = d; best = k; }
  }
  // A likely typo: at most 3 edits, and at most half the shorter name ('c' is not a typo of 'a').
  return best !== undefined && bestD <= Math.min(3, Math.floor(Math.min(word.length, best.length) / 2)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}
