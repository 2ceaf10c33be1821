/**
 * Returns the target of the `rel="next"` link in an RFC 8288 `Link` header, or null.
 * Handles several comma-separated links, quoted or bare `rel` values and multiple relation
 * types (`rel="next last"`).
 */
export function parseNextLink(header: string | null | undefined): string | null {
  if (!header) {
    return null;
  }
  const linkPattern = /<([^>]*)>((?:\s*;\s*[^;,]+)*)/g;
  for (const match of header.matchAll(linkPattern)) {
    const params = match[2] ?? '';
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(params);
    const relValue = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase();
    if (relValue.split(/\s+/).includes('next')) {
      return match[1].trim();
    }
  }
  return null;
}

/**
 * Resolves a link target against the URL of the request that returned it (RFC 8288 §3.1).
 * Same-origin results are returned as path + query so they stay relative (and go through the
 * dev proxy); links to another origin are returned absolute.
 */
export function resolveLink(link: string, requestUrl: string, pageUrl: string): string {
  const base = new URL(requestUrl, pageUrl);
  const resolved = new URL(link, base);
  if (resolved.origin === new URL(pageUrl).origin) {
    return resolved.pathname + resolved.search + resolved.hash;
  }
  return resolved.href;
}
