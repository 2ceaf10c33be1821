import { Injectable, computed, inject, signal } from '@angular/core';
import { Observable, Subscription, catchError, tap, throwError } from 'rxjs';

import { userMessageFor } from '../shared/http/api-error';
import { NotificationService } from '../shared/notifications/notification.service';
import { NewPost, Post, PostPage, SortOrder, VoteDelta } from './post.model';
import { PostService } from './post.service';

/** Orders two posts the way the server does for the given sort. */
export function comparePosts(sort: SortOrder, a: Post, b: Post): number {
  if (sort === 'top' && a.score !== b.score) {
    return b.score - a.score;
  }
  // Compare instants, not strings: RFC 3339 fractions may differ in length.
  return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;
}

/**
 * State of the board: the loaded posts, the order, paging and in-flight votes.
 * Components read its signals and call its methods; it alone talks to PostService.
 */
@Injectable({ providedIn: 'root' })
export class PostStore {
  private readonly api = inject(PostService);
  private readonly notifications = inject(NotificationService);

  private readonly state = signal<Post[]>([]);
  private readonly sortOrder = signal<SortOrder>('new');
  private readonly nextUrl = signal<string | null>(null);
  private readonly status = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly loadingMoreFlag = signal(false);
  /** Sum of optimistic vote deltas not yet confirmed by the server, per post id. */
  private readonly pendingVotes = new Map<number, number>();
  private listRequest?: Subscription;

  readonly posts = this.state.asReadonly();
  readonly sort = this.sortOrder.asReadonly();
  readonly loading = computed(() => this.status() === 'loading');
  readonly loaded = computed(() => this.status() === 'loaded');
  readonly failed = computed(() => this.status() === 'error');
  readonly loadingMore = this.loadingMoreFlag.asReadonly();
  readonly hasMore = computed(() => this.nextUrl() !== null);
  readonly isEmpty = computed(() => this.status() === 'loaded' && this.state().length === 0);

  /** Loads the first page in the current order, replacing the list. */
  load(): void {
    this.listRequest?.unsubscribe();
    this.status.set('loading');
    this.loadingMoreFlag.set(false);
    this.listRequest = this.api.list(this.sortOrder()).subscribe({
      next: (page) => {
        this.state.set(dedupe(page.posts));
        this.nextUrl.set(page.next);
        this.status.set('loaded');
      },
      error: (error: unknown) => {
        this.status.set('error');
        this.notifications.error(userMessageFor(error));
      },
    });
  }

  /** Switches between newest-first and top, reloading from the first page. */
  setSort(sort: SortOrder): void {
    if (sort === this.sortOrder() && this.status() !== 'error') {
      return;
    }
    this.sortOrder.set(sort);
    this.state.set([]);
    this.nextUrl.set(null);
    this.load();
  }

  /** Follows the `Link: rel="next"` URL and appends the posts not already shown. */
  loadMore(): void {
    const url = this.nextUrl();
    if (!url || this.loadingMoreFlag() || this.status() === 'loading') {
      return;
    }
    this.loadingMoreFlag.set(true);
    this.listRequest = this.api.page(url).subscribe({
      next: (page: PostPage) => {
        this.state.update((list) => dedupe([...list, ...page.posts]));
        this.nextUrl.set(page.next);
        this.loadingMoreFlag.set(false);
      },
      error: (error: unknown) => {
        this.loadingMoreFlag.set(false);
        this.notifications.error(userMessageFor(error));
      },
    });
  }

  /**
   * Creates a post and shows it at once. Errors are shown as a notification and re-emitted so
   * the caller can keep the form's content.
   */
  create(input: NewPost): Observable<Post> {
    return this.api.create(input).pipe(
      tap((created) => this.insert(created)),
      catchError((error: unknown) => {
        this.notifications.error(userMessageFor(error));
        return throwError(() => error);
      }),
    );
  }

  /** Optimistic vote: the score moves now; a refusal rolls it back and says why. */
  vote(postId: number, delta: VoteDelta): void {
    this.adjustScore(postId, delta);
    this.pendingVotes.set(postId, (this.pendingVotes.get(postId) ?? 0) + delta);
    this.api.vote(postId, delta).subscribe({
      next: (updated) => {
        const stillPending = this.settle(postId, delta);
        // The server's score is the truth; keep the other votes still in flight on top of it.
        this.state.update((list) =>
          list.map((p) =>
            p.id === postId ? { ...updated, score: updated.score + stillPending } : p,
          ),
        );
      },
      error: (error: unknown) => {
        this.settle(postId, delta);
        this.adjustScore(postId, -delta);
        this.notifications.error(`Your vote was not counted. ${userMessageFor(error)}`);
      },
    });
  }

  private settle(postId: number, delta: number): number {
    const remaining = (this.pendingVotes.get(postId) ?? 0) - delta;
    if (remaining === 0) {
      this.pendingVotes.delete(postId);
    } else {
      this.pendingVotes.set(postId, remaining);
    }
    return remaining;
  }

  private adjustScore(postId: number, delta: number): void {
    this.state.update((list) =>
      list.map((p) => (p.id === postId ? { ...p, score: p.score + delta } : p)),
    );
  }

  private insert(created: Post): void {
    const sort = this.sortOrder();
    this.state.update((list) => {
      const rest = list.filter((p) => p.id !== created.id);
      const index = rest.findIndex((p) => comparePosts(sort, created, p) < 0);
      if (index === -1) {
        // Sorts after everything loaded: show it only if nothing else is left to load.
        return this.nextUrl() === null ? [...rest, created] : rest;
      }
      return [...rest.slice(0, index), created, ...rest.slice(index)];
    });
    if (this.status() === 'error' || this.status() === 'idle') {
      this.status.set('loaded');
    }
  }
}

function dedupe(posts: Post[]): Post[] {
  const seen = new Set<number>();
  return posts.filter((p) => (seen.has(p.id) ? false : (seen.add(p.id), true)));
}
