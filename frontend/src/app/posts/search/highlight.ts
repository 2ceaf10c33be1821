/** A run of a text, marked when it is one of the searched words. */
export interface Segment {
  text: string;
  match: boolean;
}

/** Lowercase, without accents: how the server compares words (`unaccent`, `simple`). */
function fold(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
}

/**
 * The words a search looks for, folded: what is not excluded (`-word`) and is not the `or`
 * operator, with the quotes of phrases dropped (each word of a phrase is marked).
 */
export function searchedWords(query: string): string[] {
  const words = new Set<string>();
  for (const token of query.split(/\s+/)) {
    if (token.startsWith('-') || token.toLowerCase() === 'or') {
      continue;
    }
    for (const word of fold(token).split(/[^\p{L}\p{N}]+/u)) {
      if (word) {
        words.add(word);
      }
    }
  }
  return [...words];
}

/**
 * `text` cut into segments, the whole words of `query` marked, whatever their case or accents:
 * "Müller" is marked for the search "muller".
 */
export function highlight(text: string, query: string): Segment[] {
  const words = searchedWords(query);
  if (words.length === 0 || !text) {
    return [{ text, match: false }];
  }
  // The folded text, and where each of its characters came from in `text`.
  let folded = '';
  const origin: number[] = [];
  let offset = 0;
  for (const char of text) {
    const f = fold(char);
    origin.push(...Array<number>(f.length).fill(offset));
    folded += f;
    offset += char.length;
  }
  origin.push(text.length);

  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(?:${escaped.join('|')})(?![\\p{L}\\p{N}])`, 'gu');
  const segments: Segment[] = [];
  let shown = 0;
  for (const found of folded.matchAll(pattern)) {
    const start = origin[found.index];
    const end = origin[found.index + found[0].length];
    if (start > shown) {
      segments.push({ text: text.slice(shown, start), match: false });
    }
    segments.push({ text: text.slice(start, end), match: true });
    shown = end;
  }
  if (shown < text.length) {
    segments.push({ text: text.slice(shown), match: false });
  }
  return segments;
}
