import { sortFromQuery, urlWithSort } from './sort-param';

describe('sort in the page URL', () => {
  it('reads ?sort=, hot when absent or unknown', () => {
    expect(sortFromQuery('')).toBe('hot');
    expect(sortFromQuery('?sort=new')).toBe('new');
    expect(sortFromQuery('?x=1&sort=top')).toBe('top');
    expect(sortFromQuery('?sort=best')).toBe('hot');
  });

  it('writes ?sort= for new and top, nothing for the default, keeping the rest', () => {
    expect(urlWithSort('http://h/', 'new')).toBe('/?sort=new');
    expect(urlWithSort('http://h/?sort=new&x=1#board', 'top')).toBe('/?sort=top&x=1#board');
    expect(urlWithSort('http://h/?sort=top&x=1', 'hot')).toBe('/?x=1');
    expect(urlWithSort('http://h/?sort=top', 'hot')).toBe('/');
  });
});
