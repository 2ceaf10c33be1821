import { SortOrder } from '../post.model';
import { DEFAULT_SORT } from '../post-store';

const SORTS: readonly SortOrder[] = ['hot', 'new', 'top'];

/** The order named by `?sort=` in a page URL's query, or the default. */
export function sortFromQuery(search: string): SortOrder {
  const value = new URLSearchParams(search).get('sort');
  return SORTS.find((s) => s === value) ?? DEFAULT_SORT;
}

/**
 * The page URL (path + query + hash) showing `sort`: `?sort=new`, or no parameter for the
 * default, so that a reload or a shared link opens the same view.
 */
export function urlWithSort(href: string, sort: SortOrder): string {
  const url = new URL(href);
  if (sort === DEFAULT_SORT) {
    url.searchParams.delete('sort');
  } else {
    url.searchParams.set('sort', sort);
  }
  return url.pathname + url.search + url.hash;
}
