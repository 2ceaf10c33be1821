import { parseNextLink, resolveLink } from './link-header';

describe('parseNextLink', () => {
  it('returns null without a header or without rel=next', () => {
    expect(parseNextLink(null)).toBeNull();
    expect(parseNextLink('')).toBeNull();
    expect(parseNextLink('</post?cursor=a>; rel="prev"')).toBeNull();
  });

  it('reads a quoted, a bare and a multi-valued rel', () => {
    expect(parseNextLink('</post?cursor=abc&limit=20>; rel="next"')).toBe(
      '/post?cursor=abc&limit=20',
    );
    expect(parseNextLink('</post?c=1>; rel=next')).toBe('/post?c=1');
    expect(parseNextLink('<https://api.example/post?c=2>; rel="next last"')).toBe(
      'https://api.example/post?c=2',
    );
  });

  it('picks next among several links and other parameters', () => {
    const header =
      '</post?c=0>; rel="prev"; title="back", </post?c=9>; type="application/json"; rel="next"';
    expect(parseNextLink(header)).toBe('/post?c=9');
  });
});

describe('resolveLink', () => {
  const page = 'http://localhost:4200/';

  it('keeps a same-origin link relative', () => {
    expect(resolveLink('/post?cursor=x', '/post', page)).toBe('/post?cursor=x');
    expect(resolveLink('http://localhost:4200/post?cursor=x', '/post', page)).toBe(
      '/post?cursor=x',
    );
  });

  it('resolves query-only and path-relative links against the request URL', () => {
    expect(resolveLink('?cursor=y', '/post?limit=20', page)).toBe('/post?cursor=y');
    expect(resolveLink('post?cursor=z', '/api/post', page)).toBe('/api/post?cursor=z');
  });

  it('keeps a link to another origin absolute', () => {
    expect(resolveLink('http://localhost:8000/post?cursor=x', '/post', page)).toBe(
      'http://localhost:8000/post?cursor=x',
    );
  });
});
