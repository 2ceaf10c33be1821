import { highlight, searchedWords } from './highlight';

const marked = (text: string, query: string) =>
  highlight(text, query)
    .filter((s) => s.match)
    .map((s) => s.text);

describe('highlight', () => {
  it('marks whole words whatever their case', () => {
    expect(highlight('Harbour lights, harbours', 'harbour')).toEqual([
      { text: 'Harbour', match: true },
      { text: ' lights, harbours', match: false },
    ]);
  });

  it('folds accents both ways', () => {
    expect(marked('Müller am Hafen, Café', 'muller cafe')).toEqual(['Müller', 'Café']);
    expect(marked('Muller', 'Müller')).toEqual(['Muller']);
    expect(marked('Привет МИР', 'мир')).toEqual(['МИР']);
  });

  it('leaves out excluded words and the or operator, and splits phrases', () => {
    expect(searchedWords('"quick brown" -fox or dog')).toEqual(['quick', 'brown', 'dog']);
    expect(marked('or a quick fox', 'quick or -fox')).toEqual(['quick']);
  });

  it('keeps the text whole when nothing is searched or matched', () => {
    expect(highlight('Plain text', '')).toEqual([{ text: 'Plain text', match: false }]);
    expect(highlight('Plain text', '-plain')).toEqual([{ text: 'Plain text', match: false }]);
    expect(highlight('Plain text', 'other')).toEqual([{ text: 'Plain text', match: false }]);
    const text = 'a.b (c) [d]';
    expect(
      highlight(text, '(c)')
        .map((s) => s.text)
        .join(''),
    ).toBe(text);
  });
});
