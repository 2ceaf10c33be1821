import { ParamMap, Params } from '@angular/router';

import { SortOrder } from '../post.model';
import { DEFAULT_SORT } from '../post-store';

const SORTS: readonly SortOrder[] = ['hot', 'new', 'top'];

/** What the board shows: an order, or a search (which has its own order). */
export interface BoardView {
  sort: SortOrder;
  /** '' when not searching. */
  query: string;
}

/** The view named by the address's `?sort=` and `?q=`; the default order when absent or unknown. */
export function boardViewFrom(params: ParamMap): BoardView {
  const sort = SORTS.find((s) => s === params.get('sort')) ?? DEFAULT_SORT;
  return { sort, query: (params.get('q') ?? '').trim() };
}

/**
 * The address's query for a view: `?sort=` only for an order other than the default, `?q=`
 * only while searching (and then no `sort`), so that a reload or a shared link opens the
 * same view.
 */
export function boardQueryParams({ sort, query }: BoardView): Params {
  if (query) {
    return { q: query, sort: null };
  }
  return { q: null, sort: sort === DEFAULT_SORT ? null : sort };
}
