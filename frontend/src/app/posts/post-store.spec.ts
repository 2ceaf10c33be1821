import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { Subject, of, throwError } from 'rxjs';

import { NotificationService } from '../shared/notifications/notification.service';
import { NETWORK_ERROR_MESSAGE } from '../shared/http/api-error';
import { Post, PostPage } from './post.model';
import { PostService } from './post.service';
import { PostStore, comparePosts } from './post-store';
import { makePost } from './testing';

function apiError(status: number, userMessage: string): HttpErrorResponse {
  return new HttpErrorResponse({
    status,
    error: { detail: { user_message: userMessage, internal_message: 'x' } },
  });
}

describe('PostStore', () => {
  let store: PostStore;
  let notifications: NotificationService;
  let api: {
    list: ReturnType<typeof vi.fn>;
    page: ReturnType<typeof vi.fn>;
    create: ReturnType<typeof vi.fn>;
    vote: ReturnType<typeof vi.fn>;
  };

  const page = (posts: Post[], next: string | null = null) => of<PostPage>({ posts, next });

  beforeEach(() => {
    api = { list: vi.fn(), page: vi.fn(), create: vi.fn(), vote: vi.fn() };
    TestBed.configureTestingModule({ providers: [{ provide: PostService, useValue: api }] });
    store = TestBed.inject(PostStore);
    notifications = TestBed.inject(NotificationService);
  });

  it('loads the first page newest first', () => {
    api.list.mockReturnValue(page([makePost({ id: 2 }), makePost({ id: 1 })], '/post?c=1'));
    store.load();
    expect(api.list).toHaveBeenCalledWith('new');
    expect(store.posts().map((p) => p.id)).toEqual([2, 1]);
    expect(store.hasMore()).toBe(true);
    expect(store.loaded()).toBe(true);
  });

  it('reports an empty board', () => {
    api.list.mockReturnValue(page([]));
    store.load();
    expect(store.isEmpty()).toBe(true);
    expect(store.hasMore()).toBe(false);
  });

  it('shows the error message when loading fails', () => {
    api.list.mockReturnValue(throwError(() => new HttpErrorResponse({ status: 0 })));
    store.load();
    expect(store.failed()).toBe(true);
    expect(notifications.notifications()[0].message).toBe(NETWORK_ERROR_MESSAGE);
  });

  it('loads more by following the next URL and skips duplicates', () => {
    api.list.mockReturnValue(page([makePost({ id: 5 }), makePost({ id: 4 })], '/post?c=4'));
    store.load();
    // A post created meanwhile can make the next page repeat one already shown.
    api.page.mockReturnValue(page([makePost({ id: 4 }), makePost({ id: 3 })], '/post?c=3'));
    store.loadMore();
    expect(api.page).toHaveBeenCalledWith('/post?c=4');
    expect(store.posts().map((p) => p.id)).toEqual([5, 4, 3]);
    api.page.mockReturnValue(page([makePost({ id: 2 })]));
    store.loadMore();
    expect(api.page).toHaveBeenLastCalledWith('/post?c=3');
    expect(store.posts().map((p) => p.id)).toEqual([5, 4, 3, 2]);
    expect(store.hasMore()).toBe(false);
    store.loadMore();
    expect(api.page).toHaveBeenCalledTimes(2);
  });

  it('keeps the list when load more fails and says why', () => {
    api.list.mockReturnValue(page([makePost({ id: 2 })], '/post?c=2'));
    store.load();
    api.page.mockReturnValue(throwError(() => apiError(503, 'Try again later.')));
    store.loadMore();
    expect(store.posts().map((p) => p.id)).toEqual([2]);
    expect(store.hasMore()).toBe(true);
    expect(store.loadingMore()).toBe(false);
    expect(notifications.notifications()[0].message).toBe('Try again later.');
  });

  it('switches to top and back, reloading from the first page', () => {
    api.list.mockReturnValue(page([makePost({ id: 2 }), makePost({ id: 1 })], '/post?c=1'));
    store.load();
    api.list.mockReturnValue(page([makePost({ id: 1, score: 9 }), makePost({ id: 2 })]));
    store.setSort('top');
    expect(store.sort()).toBe('top');
    expect(api.list).toHaveBeenLastCalledWith('top');
    expect(store.posts().map((p) => p.id)).toEqual([1, 2]);
    expect(store.hasMore()).toBe(false);
    store.setSort('top');
    expect(api.list).toHaveBeenCalledTimes(2);
    api.list.mockReturnValue(page([makePost({ id: 2 })]));
    store.setSort('new');
    expect(api.list).toHaveBeenLastCalledWith('new');
  });

  it('prepends a created post at once', () => {
    api.list.mockReturnValue(page([makePost({ id: 1 })]));
    store.load();
    const created = makePost({ id: 2, title: 'New' });
    api.create.mockReturnValue(of(created));
    let result: Post | undefined;
    store
      .create({ title: 'New', post: 'Body', username: '', file: null })
      .subscribe((p) => (result = p));
    expect(result).toEqual(created);
    expect(store.posts().map((p) => p.id)).toEqual([2, 1]);
  });

  it('places a created post by score when sorted by top', () => {
    api.list.mockReturnValue(page([makePost({ id: 1, score: 3 }), makePost({ id: 0, score: -1 })]));
    store.setSort('top');
    api.create.mockReturnValue(of(makePost({ id: 9 })));
    store.create({ title: 'x', post: 'y', username: '', file: null }).subscribe();
    expect(store.posts().map((p) => p.id)).toEqual([1, 9, 0]);
  });

  it("shows the server's message when creating fails and re-emits the error", () => {
    api.list.mockReturnValue(page([]));
    store.load();
    api.create.mockReturnValue(throwError(() => apiError(415, 'The file is not an image.')));
    let failed = false;
    store
      .create({ title: 'x', post: 'y', username: '', file: null })
      .subscribe({ error: () => (failed = true) });
    expect(failed).toBe(true);
    expect(store.posts()).toEqual([]);
    expect(notifications.notifications()[0].message).toBe('The file is not an image.');
  });

  it('votes optimistically and keeps the server score', () => {
    api.list.mockReturnValue(page([makePost({ id: 1, score: 4 })]));
    store.load();
    const response = new Subject<Post>();
    api.vote.mockReturnValue(response);
    store.vote(1, 1);
    expect(api.vote).toHaveBeenCalledWith(1, 1);
    expect(store.posts()[0].score).toBe(5);
    // Someone else voted too: the server's answer wins.
    response.next(makePost({ id: 1, score: 7 }));
    response.complete();
    expect(store.posts()[0].score).toBe(7);
  });

  it('rolls a refused vote back and says why', () => {
    api.list.mockReturnValue(page([makePost({ id: 1, score: 4 })]));
    store.load();
    const response = new Subject<Post>();
    api.vote.mockReturnValue(response);
    store.vote(1, -1);
    expect(store.posts()[0].score).toBe(3);
    response.error(apiError(404, 'That post no longer exists.'));
    expect(store.posts()[0].score).toBe(4);
    expect(notifications.notifications()[0].message).toContain('That post no longer exists.');
  });

  it('keeps other votes in flight when one settles or fails', () => {
    api.list.mockReturnValue(page([makePost({ id: 1, score: 0 })]));
    store.load();
    const first = new Subject<Post>();
    const second = new Subject<Post>();
    const third = new Subject<Post>();
    api.vote.mockReturnValueOnce(first).mockReturnValueOnce(second).mockReturnValueOnce(third);
    store.vote(1, 1);
    store.vote(1, 1);
    store.vote(1, 1);
    expect(store.posts()[0].score).toBe(3);
    first.next(makePost({ id: 1, score: 1 }));
    expect(store.posts()[0].score).toBe(3);
    second.error(new HttpErrorResponse({ status: 0 }));
    expect(store.posts()[0].score).toBe(2);
    third.next(makePost({ id: 1, score: 2 }));
    expect(store.posts()[0].score).toBe(2);
  });
});

describe('comparePosts', () => {
  it('orders newest first by instant, then by id', () => {
    const a = makePost({ id: 1, created_at: '2026-11-26T18:00:00.5Z' });
    const b = makePost({ id: 2, created_at: '2026-11-26T18:00:00.123456Z' });
    expect(comparePosts('new', a, b)).toBeLessThan(0);
    expect(comparePosts('new', { ...b, created_at: a.created_at }, a)).toBeLessThan(0);
  });

  it('orders by score first for top', () => {
    const low = makePost({ id: 9, score: 0 });
    const high = makePost({ id: 1, score: 5 });
    expect(comparePosts('top', high, low)).toBeLessThan(0);
  });
});
