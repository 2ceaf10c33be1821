import { HttpErrorResponse } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { Observable, Subscription, catchError, map, throwError } from 'rxjs';

import { userMessageFor } from '../shared/http/api-error';
import { NotificationService } from '../shared/notifications/notification.service';
import { LiveEvent, LiveEvents } from './live/live-events';
import { LivePause } from './live/live-pause';
import { OwnPosts } from './own-posts/own-posts';
import { OwnVote, OwnVotes } from './own-votes/own-votes';
import { NewPost, Post, PostPage, SortOrder, VoteDelta } from './post.model';
import { PostService } from './post.service';

/** The board's order until the user picks another. */
export const DEFAULT_SORT: SortOrder = 'hot';

/**
 * How long live score updates for a post stay held back after this browser's own votes on it
 * settle. An update sent before our vote reached the server may arrive after the server's
 * answer to it; the one sent after our vote comes within about a second and is applied then.
 */
export const SCORE_HOLD_MS = 2000;

/**
 * The most live changes held back while the reader paused them. Past it, they are dropped for
 * one reload of the first page when the reader resumes: the same as a missed stretch of events.
 */
export const MAX_WAITING_CHANGES = 1000;

/** Where one post's votes from this browser stand while they are being sent. */
interface VoteFlight {
  /** The vote the server has counted from this browser. */
  confirmed: OwnVote;
  /** The vote the user asked for last. */
  desired: OwnVote;
  /** One call at a time per post, so the server never counts two votes from us. */
  sending: boolean;
  /** The latest live score that arrived while our votes were settling. */
  heldScore: number | null;
  hold?: ReturnType<typeof setTimeout>;
}

/**
 * Orders two posts the way the server does for `new` and `top`. `hot` mixes score and age on
 * the server's side; the app never re-sorts it, so it compares like `new` here.
 */
export function comparePosts(sort: SortOrder, a: Post, b: Post): number {
  if (sort === 'top' && a.score !== b.score) {
    return b.score - a.score;
  }
  // Compare instants, not strings: RFC 3339 fractions may differ in length.
  return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;
}

/**
 * State of the board: the loaded posts, the order, paging, this browser's votes and own posts.
 * Components read its signals and call its methods; it alone talks to PostService.
 */
@Injectable({ providedIn: 'root' })
export class PostStore {
  private readonly api = inject(PostService);
  private readonly notifications = inject(NotificationService);
  private readonly ownPosts = inject(OwnPosts);
  private readonly ownVotes = inject(OwnVotes);
  private readonly live = inject(LiveEvents);
  private readonly pause = inject(LivePause);

  private readonly state = signal<Post[]>([]);
  private readonly sortOrder = signal<SortOrder>(DEFAULT_SORT);
  /** The search shown instead of the board; '' for the board. */
  private readonly searchQuery = signal('');
  /** The one post shown on its own page instead of the board; null for the board. */
  private readonly postId = signal<number | null>(null);
  private readonly nextUrl = signal<string | null>(null);
  private readonly status = signal<'idle' | 'loading' | 'loaded' | 'error'>('idle');
  private readonly loadingMoreFlag = signal(false);
  /** Votes being sent, per post id. */
  private readonly flights = new Map<number, VoteFlight>();
  /** The vote each post with a flight shows (what the user asked for). */
  private readonly shownVotes = signal<ReadonlyMap<number, OwnVote>>(new Map());
  private readonly deletingIds = signal<ReadonlySet<number>>(new Set());
  /** Posts announced live, waiting for the user to show them ("N new posts"). */
  private readonly incoming = signal<Post[]>([]);
  /** Posts this browser made that wait for a moderator before anyone else sees them. */
  private readonly waitingPosts = signal<Post[]>([]);
  private listRequest?: Subscription;
  /** Live changes that arrived while paused, in order (or one `resync` once too many). */
  private held: LiveEvent[] = [];
  private readonly heldCount = signal(0);

  readonly posts = this.state.asReadonly();
  /**
   * This browser's posts that wait for a moderator (the server holds posts with an image when
   * `PREMODERATE_IMAGES` is on): shown to their author only, until the page is reloaded.
   */
  readonly waiting = this.waitingPosts.asReadonly();
  readonly sort = this.sortOrder.asReadonly();
  readonly query = this.searchQuery.asReadonly();
  readonly searching = computed(() => this.searchQuery() !== '');
  readonly openedPostId = this.postId.asReadonly();
  /** New posts join only the board itself, not search results or a post's page. */
  private readonly takesNewPosts = computed(() => !this.searching() && this.postId() === null);
  readonly loading = computed(() => this.status() === 'loading');
  readonly loaded = computed(() => this.status() === 'loaded');
  readonly failed = computed(() => this.status() === 'error');
  readonly loadingMore = this.loadingMoreFlag.asReadonly();
  readonly hasMore = computed(() => this.nextUrl() !== null);
  readonly isEmpty = computed(() => this.status() === 'loaded' && this.state().length === 0);
  /** How many new posts wait above the board ("N new posts"). */
  readonly newPostCount = computed(() => this.incoming().length);
  /** The live connection: `live`, `connecting`, `reconnecting` or `offline`. */
  readonly liveStatus = this.live.status;
  /** The reader paused live updates: nothing on the page changes by itself. */
  readonly livePaused = this.pause.paused;
  /** How many live changes wait for the reader to resume. */
  readonly waitingChanges = this.heldCount.asReadonly();

  constructor() {
    this.live.events.pipe(takeUntilDestroyed()).subscribe((event) => this.onLiveEvent(event));
  }

  /** Pauses the live updates, or resumes them, applying what waited in the order it came. */
  setLivePaused(paused: boolean): void {
    this.pause.set(paused);
    if (paused) {
      return;
    }
    const held = this.held;
    this.held = [];
    this.heldCount.set(0);
    held.forEach((event) => this.apply(event));
  }

  /** The vote this browser gives the post, as shown (own votes still being sent included). */
  voteOf(postId: number): OwnVote {
    return this.shownVotes().get(postId) ?? this.ownVotes.of(postId);
  }

  /** True when the post waits for a moderator (see `waiting`). */
  isWaiting(postId: number): boolean {
    return this.waitingPosts().some((p) => p.id === postId);
  }

  /** True when this browser created the post and can delete it. */
  canDelete(postId: number): boolean {
    return this.ownPosts.isOwn(postId);
  }

  /** True while the post's deletion is under way. */
  isDeleting(postId: number): boolean {
    return this.deletingIds().has(postId);
  }

  /**
   * Opens the board in the given order (or the results of `query`) and starts the live
   * updates (the app's start).
   */
  start(sort: SortOrder = DEFAULT_SORT, query = ''): void {
    this.sortOrder.set(sort);
    this.searchQuery.set(query.trim());
    this.postId.set(null);
    this.load();
    this.live.connect();
  }

  /** Shows the one post `id` (its own page), live like the board: scores, deletion. */
  open(id: number): void {
    if (id === this.postId() && this.status() !== 'error') {
      return;
    }
    this.postId.set(id);
    this.searchQuery.set('');
    this.clear();
    this.load();
    this.live.connect();
  }

  /** Loads the first page in the current order, replacing the list. */
  load(): void {
    this.listRequest?.unsubscribe();
    this.status.set('loading');
    this.loadingMoreFlag.set(false);
    this.listRequest = this.firstPage().subscribe({
      next: (page) => this.showFirstPage(page),
      error: (error: unknown) => {
        if (this.postId() !== null && isNotFound(error)) {
          this.showFirstPage({ posts: [], next: null }); // no such post: an answer, not a failure
          return;
        }
        this.status.set('error');
        this.notifications.error(userMessageFor(error));
      },
    });
  }

  /**
   * Reloads the first page without the loading state: the list stays until the new page
   * replaces it (after a `resync`: events were missed).
   */
  refresh(): void {
    if (this.status() !== 'loaded') {
      if (this.status() !== 'loading') {
        this.load();
      }
      return;
    }
    this.listRequest?.unsubscribe();
    this.loadingMoreFlag.set(false);
    this.listRequest = this.firstPage().subscribe({
      next: (page) => this.showFirstPage(page),
      // What is shown stays; the next event or reload brings the board up to date.
      error: () => undefined,
    });
  }

  /**
   * Shows the posts waiting in "N new posts": on top of the board in the `new` view, or, in
   * `hot` and `top`, by loading the ranked first page again. Returns the id of the first one,
   * where the focus should go, or null when it is not known yet (or none was waiting).
   */
  showNewPosts(): number | null {
    const waiting = [...this.incoming()].sort((a, b) => comparePosts('new', a, b));
    this.incoming.set([]);
    if (waiting.length === 0) {
      return null;
    }
    if (this.sortOrder() !== 'new') {
      // Only the server knows where they rank: the first page again, ranked.
      this.refresh();
      return null;
    }
    this.state.update((list) => dedupe([...waiting, ...list]));
    return waiting[0].id;
  }

  /** Switches the order, reloading from the first page. */
  setSort(sort: SortOrder): void {
    this.show(sort, this.searchQuery());
  }

  /** Shows the board in `sort` order, or the results of `query`, from the first page. */
  show(sort: SortOrder, query: string): void {
    const words = query.trim();
    const same = sort === this.sortOrder() && words === this.searchQuery();
    if (same && this.postId() === null && this.status() !== 'error') {
      return;
    }
    this.sortOrder.set(sort);
    this.searchQuery.set(words);
    this.postId.set(null);
    this.clear();
    this.load();
  }

  /** Forgets the list shown, before another one loads. */
  private clear(): void {
    this.state.set([]);
    this.incoming.set([]);
    this.nextUrl.set(null);
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
   * Creates a post and shows it at once; its delete token is kept in this browser. Errors are
   * shown as a notification and re-emitted so the caller can keep the form's content.
   */
  create(input: NewPost): Observable<Post> {
    return this.api.create(input).pipe(
      map(({ delete_token: token, state, ...post }) => {
        if (token) {
          this.ownPosts.remember(post.id, token);
        }
        if (state === 'hidden') {
          this.waitingPosts.update((list) => [post, ...list]);
        } else {
          this.insert(post);
        }
        return post as Post;
      }),
      catchError((error: unknown) => {
        this.notifications.error(userMessageFor(error));
        return throwError(() => error);
      }),
    );
  }

  /**
   * The user pressed an arrow. One browser holds at most one vote per post: pressing the arrow
   * of the vote it holds takes that vote back, pressing the other arrow switches (two steps of
   * the new sign). The arrow and the score move at once; the calls go one at a time, and a
   * refused call rolls back what was not counted and says why.
   */
  vote(postId: number, arrow: VoteDelta): void {
    const current = this.voteOf(postId);
    const target: OwnVote = current === arrow ? 0 : arrow;
    let flight = this.flights.get(postId);
    if (!flight) {
      const counted = this.ownVotes.of(postId);
      flight = { confirmed: counted, desired: counted, sending: false, heldScore: null };
      this.flights.set(postId, flight);
    }
    clearTimeout(flight.hold);
    this.adjustScore(postId, target - flight.desired);
    this.showVote(postId, (flight.desired = target));
    this.sendVotes(postId, flight);
  }

  /**
   * Deletes one of this browser's posts with its token and takes it off the board. A 404
   * means it is gone already: the same outcome. Resolves true when the post is gone.
   */
  deletePost(postId: number): Promise<boolean> {
    const token = this.ownPosts.token(postId);
    if (!token || this.isDeleting(postId)) {
      return Promise.resolve(false);
    }
    this.deletingIds.update((ids) => new Set(ids).add(postId));
    const done = () =>
      this.deletingIds.update((ids) => {
        const next = new Set(ids);
        next.delete(postId);
        return next;
      });
    return new Promise((resolve) => {
      this.api.delete(postId, token).subscribe({
        complete: () => {
          done();
          this.drop(postId);
          this.notifications.success('Your post was deleted.');
          resolve(true);
        },
        error: (error: unknown) => {
          done();
          const status = error instanceof HttpErrorResponse ? error.status : 0;
          if (status === 404) {
            this.drop(postId);
            this.notifications.success('That post was already deleted.');
            resolve(true);
            return;
          }
          if (status === 403) {
            // This token will never work: stop offering a Delete button that cannot succeed.
            this.ownPosts.forget(postId);
          }
          this.notifications.error(`Your post was not deleted. ${userMessageFor(error)}`);
          resolve(false);
        },
      });
    });
  }

  /** Sends the next step towards the vote the user wants, one call at a time. */
  private sendVotes(postId: number, flight: VoteFlight): void {
    if (flight.sending) {
      return;
    }
    const step = Math.sign(flight.desired - flight.confirmed);
    if (step === 0) {
      this.settleVotes(postId, flight);
      return;
    }
    flight.sending = true;
    this.api.vote(postId, step as VoteDelta).subscribe({
      next: (updated) => {
        flight.sending = false;
        flight.confirmed = (flight.confirmed + step) as OwnVote;
        this.ownVotes.set(postId, flight.confirmed);
        // The server's score is the truth; keep what is still to be sent on top of it.
        this.setScore(postId, updated.score + flight.desired - flight.confirmed);
        this.sendVotes(postId, flight);
      },
      error: (error: unknown) => {
        flight.sending = false;
        const takingBack = flight.desired === 0;
        this.adjustScore(postId, flight.confirmed - flight.desired);
        this.showVote(postId, (flight.desired = flight.confirmed));
        const what = takingBack ? 'Your vote was not taken back.' : 'Your vote was not counted.';
        this.notifications.error(`${what} ${userMessageFor(error)}`);
        this.settleVotes(postId, flight);
      },
    });
  }

  /** All sent: hold live scores a moment, then let them in again (see SCORE_HOLD_MS). */
  private settleVotes(postId: number, flight: VoteFlight): void {
    clearTimeout(flight.hold);
    flight.hold = setTimeout(() => {
      if (this.flights.get(postId) !== flight) {
        return;
      }
      this.flights.delete(postId);
      this.shownVotes.update((votes) => {
        const next = new Map(votes);
        next.delete(postId);
        return next;
      });
      if (flight.heldScore !== null) {
        this.setScore(postId, flight.heldScore);
      }
    }, SCORE_HOLD_MS);
  }

  private showVote(postId: number, vote: OwnVote): void {
    this.shownVotes.update((votes) => new Map(votes).set(postId, vote));
  }

  private firstPage(): Observable<PostPage> {
    const id = this.postId();
    if (id !== null) {
      return this.api.get(id).pipe(map((post) => ({ posts: [post], next: null })));
    }
    const query = this.searchQuery();
    return query ? this.api.search(query) : this.api.list(this.sortOrder());
  }

  private showFirstPage(page: PostPage): void {
    const posts = dedupe(page.posts).map((p) => this.withOwnVotesInFlight(p));
    this.state.set(posts);
    this.nextUrl.set(page.next);
    this.status.set('loaded');
    // What the page brought is no longer "new"; what came after it still is.
    const shown = new Set(posts.map((p) => p.id));
    this.incoming.update((list) => list.filter((p) => !shown.has(p.id)));
  }

  /** A post from the server, with this browser's votes not yet counted on top of its score. */
  private withOwnVotesInFlight(post: Post): Post {
    const flight = this.flights.get(post.id);
    const pending = flight ? flight.desired - flight.confirmed : 0;
    return pending === 0 ? post : { ...post, score: post.score + pending };
  }

  private onLiveEvent(event: LiveEvent): void {
    if (this.pause.paused()) {
      this.hold(event);
    } else {
      this.apply(event);
    }
  }

  private hold(event: LiveEvent): void {
    this.heldCount.update((n) => n + 1);
    if (this.held.length === 1 && this.held[0].type === 'resync') {
      return; // one reload covers whatever else comes
    }
    if (this.held.length < MAX_WAITING_CHANGES) {
      this.held.push(event);
    } else {
      this.held = [{ type: 'resync' }];
    }
  }

  private apply(event: LiveEvent): void {
    switch (event.type) {
      case 'post':
        this.receive(event.post);
        break;
      case 'score':
        this.liveScore(event.id, event.score);
        break;
      case 'delete':
        this.drop(event.id);
        break;
      case 'resync':
        this.refresh();
        break;
    }
  }

  /**
   * A post created anywhere. The board must not move under the reader: in every view it waits
   * in "N new posts" (shown at once only on an empty board). Search results are what the
   * reader searched, and a post's page is that post: no post joins them live.
   */
  private receive(post: Post): void {
    // One of ours that waited: a moderator let it through, and it comes like any other post.
    if (this.isWaiting(post.id)) {
      this.waitingPosts.update((list) => list.filter((p) => p.id !== post.id));
    }
    if (!this.takesNewPosts()) {
      return;
    }
    const known = (p: Post) => p.id === post.id;
    if (this.state().some(known) || this.incoming().some(known)) {
      return;
    }
    if (this.isEmpty()) {
      this.state.set([post]);
      return;
    }
    this.incoming.update((list) => [...list, post]);
  }

  /** A live score. While this browser's own votes on the post settle, it waits (see SCORE_HOLD_MS). */
  private liveScore(postId: number, score: number): void {
    const flight = this.flights.get(postId);
    if (flight) {
      flight.heldScore = score;
      return;
    }
    this.setScore(postId, score);
  }

  /** A post is gone for good: off the board, and this browser forgets what it knew of it. */
  private drop(postId: number): void {
    this.state.update((list) => list.filter((p) => p.id !== postId));
    if (this.incoming().some((p) => p.id === postId)) {
      this.incoming.update((list) => list.filter((p) => p.id !== postId));
    }
    this.ownPosts.forget(postId);
    this.ownVotes.forget(postId);
    const flight = this.flights.get(postId);
    if (flight) {
      clearTimeout(flight.hold);
      this.flights.delete(postId);
      this.shownVotes.update((votes) => {
        const next = new Map(votes);
        next.delete(postId);
        return next;
      });
    }
  }

  private setScore(postId: number, score: number): void {
    const update = (list: Post[]) =>
      list.map((p) => (p.id === postId && p.score !== score ? { ...p, score } : p));
    this.state.update(update);
    if (this.incoming().some((p) => p.id === postId)) {
      this.incoming.update(update);
    }
  }

  private adjustScore(postId: number, delta: number): void {
    if (delta === 0) {
      return;
    }
    this.state.update((list) =>
      list.map((p) => (p.id === postId ? { ...p, score: p.score + delta } : p)),
    );
  }

  private insert(created: Post): void {
    if (!this.takesNewPosts()) {
      return; // whether it matches a search is the server's to say, on the next search
    }
    const sort = this.sortOrder();
    this.state.update((list) => {
      const rest = list.filter((p) => p.id !== created.id);
      // Hot: where the server will rank it is unknown; the author sees it first.
      const index = sort === 'hot' ? 0 : rest.findIndex((p) => comparePosts(sort, created, p) < 0);
      if (index === -1) {
        // Sorts after everything loaded: show it only if nothing else is left to load.
        return this.nextUrl() === null ? [...rest, created] : rest;
      }
      return [...rest.slice(0, index), created, ...rest.slice(index)];
    });
    if (this.incoming().some((p) => p.id === created.id)) {
      this.incoming.update((list) => list.filter((p) => p.id !== created.id));
    }
    if (this.status() === 'error' || this.status() === 'idle') {
      this.status.set('loaded');
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof HttpErrorResponse && error.status === 404;
}

function dedupe(posts: Post[]): Post[] {
  const seen = new Set<number>();
  return posts.filter((p) => (seen.has(p.id) ? false : (seen.add(p.id), true)));
}
