import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { Subject, of, throwError } from 'rxjs';

import { NotificationService } from '../shared/notifications/notification.service';
import { NETWORK_ERROR_MESSAGE } from '../shared/http/api-error';
import { BROWSER_STORAGE } from '../shared/storage/persistent-map';
import { MemoryStorage } from '../shared/storage/testing';
import { EVENT_SOURCE_FACTORY } from './live/live-events';
import { FakeEventSource } from './live/testing';
import { OwnPosts } from './own-posts/own-posts';
import { OwnVotes } from './own-votes/own-votes';
import { CreatedPost, Post, PostPage } from './post.model';
import { PostService } from './post.service';
import { MAX_WAITING_CHANGES, PostStore, SCORE_HOLD_MS, comparePosts } from './post-store';
import { FakePostService, fakePostService, makePost } from './testing';

function apiError(status: number, userMessage: string, headers?: HttpHeaders): HttpErrorResponse {
  return new HttpErrorResponse({
    status,
    headers,
    error: { detail: { user_message: userMessage, internal_message: 'x' } },
  });
}

type Api = FakePostService;
const newApi = fakePostService;

/** A store on its own TestBed: a fresh page load that shares `storage` with the last one. */
function setUp(api: Api, storage: Storage): PostStore {
  TestBed.resetTestingModule();
  TestBed.configureTestingModule({
    providers: [
      { provide: PostService, useValue: api },
      { provide: BROWSER_STORAGE, useValue: storage },
      { provide: EVENT_SOURCE_FACTORY, useValue: FakeEventSource.factory },
    ],
  });
  return TestBed.inject(PostStore);
}

describe('PostStore', () => {
  let store: PostStore;
  let notifications: NotificationService;
  let api: Api;
  let storage: MemoryStorage;

  const page = (posts: Post[], next: string | null = null) => of<PostPage>({ posts, next });

  beforeEach(() => {
    api = newApi();
    storage = new MemoryStorage();
    store = setUp(api, storage);
    notifications = TestBed.inject(NotificationService);
  });

  it('loads the first page, hot by default', () => {
    api.list.mockReturnValue(page([makePost({ id: 2 }), makePost({ id: 1 })], '/post?c=1'));
    store.load();
    expect(store.sort()).toBe('hot');
    expect(api.list).toHaveBeenCalledWith('hot');
    expect(store.posts().map((p) => p.id)).toEqual([2, 1]);
    expect(store.hasMore()).toBe(true);
    expect(store.loaded()).toBe(true);
  });

  it('starts in the order it is given', () => {
    api.list.mockReturnValue(page([]));
    store.start('new');
    expect(store.sort()).toBe('new');
    expect(api.list).toHaveBeenCalledWith('new');
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

  it('searches instead of listing, and goes back to the board when the search is cleared', () => {
    api.list.mockReturnValue(page([makePost({ id: 2 }), makePost({ id: 1 })]));
    store.load();
    api.search.mockReturnValue(page([makePost({ id: 1 })], '/post?q=harbour&cursor=s1_1'));
    store.show('hot', '  harbour ');
    expect(api.search).toHaveBeenLastCalledWith('harbour');
    expect(store.query()).toBe('harbour');
    expect(store.searching()).toBe(true);
    expect(store.posts().map((p) => p.id)).toEqual([1]);
    expect(store.hasMore()).toBe(true);
    store.show('hot', 'harbour');
    expect(api.search).toHaveBeenCalledTimes(1);

    store.show('hot', '');
    expect(store.searching()).toBe(false);
    expect(api.list).toHaveBeenCalledTimes(2);
    expect(store.posts().map((p) => p.id)).toEqual([2, 1]);
  });

  it('starts with a search from the address, and shows sort and search together', () => {
    api.search.mockReturnValue(page([]));
    store.start('top', 'café');
    expect(api.search).toHaveBeenCalledWith('café');
    expect(api.list).not.toHaveBeenCalled();
    expect(store.isEmpty()).toBe(true);
    api.list.mockReturnValue(page([makePost({ id: 3 })]));
    store.show('new', '');
    expect(api.list).toHaveBeenLastCalledWith('new');
    expect(store.sort()).toBe('new');
  });

  it('opens one post on its own page, and says when there is no such post', () => {
    api.get.mockReturnValue(of(makePost({ id: 7 })));
    store.open(7);
    expect(api.get).toHaveBeenCalledWith(7);
    expect(store.openedPostId()).toBe(7);
    expect(store.posts().map((p) => p.id)).toEqual([7]);
    expect(store.hasMore()).toBe(false);

    api.get.mockReturnValue(throwError(() => new HttpErrorResponse({ status: 404 })));
    store.open(8);
    expect(store.failed()).toBe(false);
    expect(store.isEmpty()).toBe(true);
    expect(notifications.notifications()).toEqual([]);

    api.list.mockReturnValue(page([makePost({ id: 1 })]));
    store.show('hot', '');
    expect(store.openedPostId()).toBeNull();
    expect(store.posts().map((p) => p.id)).toEqual([1]);
  });

  it('prepends a created post at once, first in the hot view', () => {
    api.list.mockReturnValue(page([makePost({ id: 1, score: 50 })]));
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

  it('keeps a created post that waits for a moderator off the board, for its author', () => {
    api.list.mockReturnValue(page([makePost({ id: 1 })]));
    store.load();
    api.create.mockReturnValue(
      of({ ...makePost({ id: 5, title: 'Photo' }), delete_token: 't', state: 'hidden' }),
    );
    store.create({ title: 'Photo', post: 'p', username: '', file: null }).subscribe();
    expect(store.posts().map((p) => p.id)).toEqual([1]);
    expect(store.waiting().map((p) => p.title)).toEqual(['Photo']);
    expect(store.isWaiting(5)).toBe(true);
    expect(store.canDelete(5)).toBe(true);
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

  describe('one vote per browser', () => {
    let server: Subject<Post>[];

    beforeEach(() => {
      vi.useFakeTimers();
      server = [];
      api.vote.mockImplementation(() => {
        const answer = new Subject<Post>();
        server.push(answer);
        return answer;
      });
      api.list.mockReturnValue(page([makePost({ id: 1, score: 10 })]));
      store.load();
    });

    afterEach(() => vi.useRealTimers());

    const answer = (i: number, score: number) => {
      server[i].next(makePost({ id: 1, score }));
      server[i].complete();
    };
    const score = () => store.posts()[0].score;

    it('pressing the same arrow again takes the vote back', () => {
      store.vote(1, 1);
      expect(api.vote).toHaveBeenLastCalledWith(1, 1);
      expect(store.voteOf(1)).toBe(1);
      expect(score()).toBe(11);
      answer(0, 11);
      expect(TestBed.inject(OwnVotes).of(1)).toBe(1);

      store.vote(1, 1);
      expect(api.vote).toHaveBeenLastCalledWith(1, -1);
      expect(store.voteOf(1)).toBe(0);
      expect(score()).toBe(10);
      answer(1, 10);
      expect(TestBed.inject(OwnVotes).of(1)).toBe(0);
      expect(api.vote).toHaveBeenCalledTimes(2);
    });

    it('pressing the other arrow switches: two steps, one call at a time', () => {
      store.vote(1, 1);
      answer(0, 11);
      store.vote(1, -1);
      expect(store.voteOf(1)).toBe(-1);
      expect(score()).toBe(9);
      // The second step waits for the first answer.
      expect(api.vote).toHaveBeenCalledTimes(2);
      expect(api.vote).toHaveBeenLastCalledWith(1, -1);
      answer(1, 10);
      expect(score()).toBe(9);
      expect(api.vote).toHaveBeenCalledTimes(3);
      expect(api.vote).toHaveBeenLastCalledWith(1, -1);
      answer(2, 9);
      expect(score()).toBe(9);
      expect(TestBed.inject(OwnVotes).of(1)).toBe(-1);
    });

    it('rapid presses send only what is needed to reach the last choice', () => {
      store.vote(1, 1);
      store.vote(1, 1);
      store.vote(1, 1);
      expect(store.voteOf(1)).toBe(1);
      expect(score()).toBe(11);
      answer(0, 11);
      expect(api.vote).toHaveBeenCalledTimes(1);

      // Up then down before the first answer: the down vote follows, one step after another.
      store.vote(1, -1);
      store.vote(1, 1);
      store.vote(1, -1);
      expect(store.voteOf(1)).toBe(-1);
      expect(score()).toBe(9);
      answer(1, 10);
      answer(2, 9);
      expect(api.vote).toHaveBeenCalledTimes(3);
      expect(TestBed.inject(OwnVotes).of(1)).toBe(-1);
    });

    it('keeps the counted vote after a reload and takes it back from there', () => {
      store.vote(1, -1);
      answer(0, 9);
      vi.advanceTimersByTime(SCORE_HOLD_MS);

      const reloaded = setUp(api, storage);
      api.list.mockReturnValue(page([makePost({ id: 1, score: 9 })]));
      reloaded.load();
      expect(reloaded.voteOf(1)).toBe(-1);
      reloaded.vote(1, -1);
      expect(api.vote).toHaveBeenLastCalledWith(1, 1);
      expect(reloaded.voteOf(1)).toBe(0);
      expect(reloaded.posts()[0].score).toBe(10);
    });

    it('a refused step rolls back what was not counted', () => {
      store.vote(1, 1);
      answer(0, 11);
      store.vote(1, -1);
      answer(1, 10); // the first step of the switch is counted: no vote now
      server[2].error(apiError(503, 'Try again later.'));
      expect(store.voteOf(1)).toBe(0);
      expect(score()).toBe(10);
      expect(TestBed.inject(OwnVotes).of(1)).toBe(0);
      expect(notifications.notifications()[0].message).toBe(
        'Your vote was not counted. Try again later.',
      );
    });

    it('says so when taking a vote back fails, and keeps the vote', () => {
      store.vote(1, 1);
      answer(0, 11);
      store.vote(1, 1);
      server[1].error(new HttpErrorResponse({ status: 0 }));
      expect(store.voteOf(1)).toBe(1);
      expect(score()).toBe(11);
      expect(notifications.notifications()[0].message).toBe(
        `Your vote was not taken back. ${NETWORK_ERROR_MESSAGE}`,
      );
    });

    it('a rate-limited vote says when to try again', () => {
      store.vote(1, 1);
      server[0].error(apiError(429, 'Too many votes.', new HttpHeaders({ 'Retry-After': '120' })));
      expect(score()).toBe(10);
      expect(notifications.notifications()[0].message).toBe(
        'Your vote was not counted. Too many votes. Try again in 2 minutes.',
      );
    });
  });

  describe('own posts', () => {
    const token = 'T'.repeat(43);
    const created = (overrides: Partial<Post> = {}): CreatedPost => ({
      ...makePost({ id: 7, title: 'Mine', ...overrides }),
      delete_token: token,
    });

    beforeEach(() => {
      api.list.mockReturnValue(page([makePost({ id: 3 })]));
      store.load();
      api.create.mockReturnValue(of(created()));
      store.create({ title: 'Mine', post: 'x', username: '', file: null }).subscribe();
    });

    it('keep their delete token in this browser, not on the board', () => {
      expect(store.canDelete(7)).toBe(true);
      expect(store.canDelete(3)).toBe(false);
      expect(TestBed.inject(OwnPosts).token(7)).toBe(token);
      expect('delete_token' in store.posts()[0]).toBe(false);
      expect(setUp(api, storage).canDelete(7)).toBe(true);
    });

    it('are deleted with the token and leave the board at once', async () => {
      const answer = new Subject<void>();
      api.delete.mockReturnValue(answer);
      const gone = store.deletePost(7);
      expect(api.delete).toHaveBeenCalledWith(7, token);
      expect(store.isDeleting(7)).toBe(true);
      await expect(store.deletePost(7)).resolves.toBe(false); // no second request meanwhile
      answer.complete();
      expect(await gone).toBe(true);
      expect(store.posts().map((p) => p.id)).toEqual([3]);
      expect(store.canDelete(7)).toBe(false);
      expect(store.isDeleting(7)).toBe(false);
      expect(api.delete).toHaveBeenCalledTimes(1);
      expect(notifications.notifications()[0]).toMatchObject({
        kind: 'success',
        message: 'Your post was deleted.',
      });
    });

    it('that are gone already (404) are dropped and forgotten', async () => {
      api.delete.mockReturnValue(throwError(() => apiError(404, 'No such post.')));
      expect(await store.deletePost(7)).toBe(true);
      expect(store.posts().map((p) => p.id)).toEqual([3]);
      expect(TestBed.inject(OwnPosts).token(7)).toBeNull();
    });

    it('stay when the server refuses; a wrong token (403) is forgotten', async () => {
      api.delete.mockReturnValue(throwError(() => apiError(503, 'Try again later.')));
      expect(await store.deletePost(7)).toBe(false);
      expect(store.posts().map((p) => p.id)).toEqual([7, 3]);
      expect(store.canDelete(7)).toBe(true);
      expect(notifications.notifications().at(-1)?.message).toBe(
        'Your post was not deleted. Try again later.',
      );

      api.delete.mockReturnValue(throwError(() => apiError(403, 'Wrong token.')));
      expect(await store.deletePost(7)).toBe(false);
      expect(store.posts().map((p) => p.id)).toEqual([7, 3]);
      expect(store.canDelete(7)).toBe(false);
    });

    it('other posts cannot be deleted from here', async () => {
      expect(await store.deletePost(3)).toBe(false);
      expect(api.delete).not.toHaveBeenCalled();
    });
  });

  describe('live updates', () => {
    let source: FakeEventSource;
    const ids = () => store.posts().map((p) => p.id);

    function startIn(sort: 'hot' | 'new' | 'top', posts: Post[]): void {
      FakeEventSource.instances = [];
      api.list.mockReturnValue(page(posts));
      store.start(sort);
      source = FakeEventSource.latest;
      source.open();
    }

    it('opens one connection when the board starts', () => {
      startIn('new', []);
      store.start('new');
      expect(FakeEventSource.instances).toHaveLength(1);
      expect(store.liveStatus()).toBe('live');
      source.fail(false);
      expect(store.liveStatus()).toBe('reconnecting');
    });

    it('keeps new posts above the new view until the user shows them', () => {
      startIn('new', [makePost({ id: 2 }), makePost({ id: 1 })]);
      source.emit('post', makePost({ id: 3 }));
      source.emit('post', makePost({ id: 4 }));
      source.emit('post', makePost({ id: 4 })); // replayed after a reconnect
      source.emit('post', makePost({ id: 2 })); // already on the board
      expect(ids()).toEqual([2, 1]);
      expect(store.newPostCount()).toBe(2);
      expect(store.showNewPosts()).toBe(4);
      expect(ids()).toEqual([4, 3, 2, 1]);
      expect(store.newPostCount()).toBe(0);
      expect(store.showNewPosts()).toBeNull();
    });

    it('shows a new post at once on an empty board', () => {
      startIn('new', []);
      source.emit('post', makePost({ id: 1 }));
      expect(ids()).toEqual([1]);
      expect(store.newPostCount()).toBe(0);
    });

    it('counts new posts in the hot and top views and reloads the ranked first page for them', () => {
      for (const sort of ['hot', 'top'] as const) {
        TestBed.resetTestingModule();
        store = setUp(api, storage);
        startIn(sort, [makePost({ id: 1, score: 4 })]);
        source.emit('post', makePost({ id: 2 }));
        source.emit('post', makePost({ id: 3 }));
        expect(ids()).toEqual([1]);
        expect(store.newPostCount()).toBe(2);

        api.list.mockReturnValue(
          page([makePost({ id: 1, score: 4 }), makePost({ id: 3 }), makePost({ id: 2 })]),
        );
        expect(store.showNewPosts()).toBeNull();
        expect(api.list).toHaveBeenLastCalledWith(sort);
        expect(ids()).toEqual([1, 3, 2]);
        expect(store.newPostCount()).toBe(0);
      }
    });

    it('keeps search results as searched: no new post joins them, scores and deletions do', () => {
      FakeEventSource.instances = [];
      api.search.mockReturnValue(page([makePost({ id: 2, score: 0 }), makePost({ id: 1 })]));
      store.start('hot', 'harbour');
      source = FakeEventSource.latest;
      source.open();
      source.emit('post', makePost({ id: 3 }));
      expect(store.newPostCount()).toBe(0);
      expect(ids()).toEqual([2, 1]);
      source.emit('score', { id: 1, score: 7 });
      expect(ids()).toEqual([2, 1]);
      expect(store.posts()[1].score).toBe(7);
      source.emit('delete', { id: 2 });
      expect(ids()).toEqual([1]);
    });

    it('holds every live change while paused, counts them, and applies them on resume', () => {
      startIn('new', [makePost({ id: 2, score: 0 }), makePost({ id: 1 })]);
      store.setLivePaused(true);
      source.emit('score', { id: 2, score: 4 });
      source.emit('post', makePost({ id: 3 }));
      source.emit('delete', { id: 1 });
      expect(ids()).toEqual([2, 1]);
      expect(store.posts()[0].score).toBe(0);
      expect(store.newPostCount()).toBe(0);
      expect(store.waitingChanges()).toBe(3);

      store.setLivePaused(false);
      expect(store.waitingChanges()).toBe(0);
      expect(ids()).toEqual([2]);
      expect(store.posts()[0].score).toBe(4);
      expect(store.newPostCount()).toBe(1);
    });

    it('remembers the pause, and past too many changes reloads once on resume', () => {
      store.setLivePaused(true);
      store = setUp(api, storage);
      expect(store.livePaused()).toBe(true);
      startIn('top', [makePost({ id: 1 })]);
      for (let i = 0; i < MAX_WAITING_CHANGES + 5; i++) {
        source.emit('score', { id: 1, score: i });
      }
      expect(store.waitingChanges()).toBe(MAX_WAITING_CHANGES + 5);
      api.list.mockReturnValue(page([makePost({ id: 1, score: 77 })]));
      store.setLivePaused(false);
      expect(api.list).toHaveBeenCalledTimes(2);
      expect(store.posts()[0].score).toBe(77);
      expect(store.livePaused()).toBe(false);
    });

    it('does not count its own new post twice', () => {
      startIn('new', [makePost({ id: 1 })]);
      // The event can overtake the answer to the create request.
      source.emit('post', makePost({ id: 2 }));
      expect(store.newPostCount()).toBe(1);
      api.create.mockReturnValue(of({ ...makePost({ id: 2 }), delete_token: 'tok' }));
      store.create({ title: 'x', post: 'y', username: '', file: null }).subscribe();
      expect(ids()).toEqual([2, 1]);
      expect(store.newPostCount()).toBe(0);
    });

    it('updates scores in place, waiting ones too', () => {
      startIn('new', [makePost({ id: 1, score: 0 })]);
      source.emit('post', makePost({ id: 2, score: 0 }));
      source.emit('score', { id: 1, score: 5 });
      source.emit('score', { id: 2, score: 3 });
      source.emit('score', { id: 99, score: 1 });
      expect(store.posts()[0].score).toBe(5);
      store.showNewPosts();
      expect(store.posts().map((p) => p.score)).toEqual([3, 5]);
    });

    it('removes deleted posts, waiting ones too, and forgets their token', () => {
      startIn('new', [makePost({ id: 2 }), makePost({ id: 1 })]);
      TestBed.inject(OwnPosts).remember(2, 'tok');
      source.emit('post', makePost({ id: 3 }));
      source.emit('delete', { id: 2 });
      source.emit('delete', { id: 3 });
      expect(ids()).toEqual([1]);
      expect(store.newPostCount()).toBe(0);
      expect(store.canDelete(2)).toBe(false);
    });

    it('reloads the first page on resync, keeping the list shown meanwhile', () => {
      startIn('top', [makePost({ id: 1, score: 1 })]);
      const reload = new Subject<PostPage>();
      api.list.mockReturnValue(reload);
      source.emit('resync', {});
      expect(api.list).toHaveBeenLastCalledWith('top');
      expect(store.loading()).toBe(false);
      expect(ids()).toEqual([1]);
      reload.next({
        posts: [makePost({ id: 5, score: 9 }), makePost({ id: 1, score: 1 })],
        next: null,
      });
      expect(ids()).toEqual([5, 1]);
    });

    describe('and own votes in flight', () => {
      let answer: Subject<Post>;

      beforeEach(() => {
        vi.useFakeTimers();
        startIn('hot', [makePost({ id: 1, score: 10 })]);
        answer = new Subject<Post>();
        api.vote.mockReturnValue(answer);
      });

      afterEach(() => vi.useRealTimers());

      it('hold live scores back until the votes settle, then take the latest', () => {
        store.vote(1, 1);
        // Sent before our vote reached the server: it must not undo the arrow's effect.
        source.emit('score', { id: 1, score: 10 });
        expect(store.posts()[0].score).toBe(11);
        answer.next(makePost({ id: 1, score: 11 }));
        answer.complete();
        source.emit('score', { id: 1, score: 10 }); // late, stale
        expect(store.posts()[0].score).toBe(11);
        source.emit('score', { id: 1, score: 12 }); // after ours: someone else voted too
        vi.advanceTimersByTime(SCORE_HOLD_MS);
        expect(store.posts()[0].score).toBe(12);
        source.emit('score', { id: 1, score: 13 });
        expect(store.posts()[0].score).toBe(13);
        expect(store.voteOf(1)).toBe(1);
      });

      it('keep the answer when no live score came meanwhile', () => {
        store.vote(1, -1);
        answer.next(makePost({ id: 1, score: 9 }));
        answer.complete();
        vi.advanceTimersByTime(SCORE_HOLD_MS);
        expect(store.posts()[0].score).toBe(9);
      });
    });
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
