import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { of } from 'rxjs';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
import { EVENT_SOURCE_FACTORY } from '../live/live-events';
import { FakeEventSource } from '../live/testing';
import { OwnPosts } from '../own-posts/own-posts';
import { Post, PostPage } from '../post.model';
import { PostService } from '../post.service';
import { FakePostService, fakePostService, makePost } from '../testing';
import { PostList } from './post-list';

describe('PostList', () => {
  let fixture: ComponentFixture<unknown>;
  let harness: RouterTestingHarness;
  let el: HTMLElement;
  let api: FakePostService;

  const page = (posts: Post[]) => of<PostPage>({ posts, next: null });
  const button = (name: string) =>
    [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null;

  /** The board at `url`, through the router, as the app opens it. */
  async function render(posts: Post[], url = '/'): Promise<void> {
    api.list.mockReturnValue(page(posts));
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url, PostList);
    fixture = harness.fixture;
    el = harness.routeNativeElement!;
    document.body.appendChild(fixture.nativeElement as HTMLElement);
    await fixture.whenStable();
  }

  const address = () => TestBed.inject(Router).url;

  beforeEach(() => {
    FakeEventSource.instances = [];
    api = fakePostService();
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: '', component: PostList }]),
        { provide: PostService, useValue: api },
        { provide: BROWSER_STORAGE, useValue: new MemoryStorage() },
        { provide: EVENT_SOURCE_FACTORY, useValue: FakeEventSource.factory },
      ],
    });
  });

  afterEach(() => {
    (fixture?.nativeElement as HTMLElement | undefined)?.remove();
  });

  it('opens hot by default and offers Hot, New and Top', async () => {
    await render([makePost({ id: 1 })]);
    expect(api.list).toHaveBeenCalledWith('hot');
    const group = el.querySelector('[role="group"][aria-label="Order posts by"]')!;
    const options = [...group.querySelectorAll('button')];
    expect(options.map((b) => b.textContent?.trim())).toEqual(['Hot', 'New', 'Top']);
    expect(options.map((b) => b.getAttribute('aria-pressed'))).toEqual(['true', 'false', 'false']);
  });

  it('opens the order named in the URL and writes the chosen one back', async () => {
    await render([], '/?sort=new');
    expect(api.list).toHaveBeenLastCalledWith('new');
    expect(button('New')?.getAttribute('aria-pressed')).toBe('true');
    button('Top')!.click();
    await fixture.whenStable();
    expect(api.list).toHaveBeenLastCalledWith('top');
    expect(address()).toBe('/?sort=top');
    button('Hot')!.click();
    await fixture.whenStable();
    expect(address()).toBe('/');
  });

  it('after a deletion, moves focus to the next post', async () => {
    await render([makePost({ id: 3 }), makePost({ id: 2, title: 'Mine' }), makePost({ id: 1 })]);
    TestBed.inject(OwnPosts).remember(2, 'token');
    api.delete.mockReturnValue(of(undefined));
    await fixture.whenStable();
    button('Delete')!.click();
    await fixture.whenStable();
    button('Yes, delete')!.click();
    await fixture.whenStable();
    await fixture.whenStable();
    expect(api.delete).toHaveBeenCalledWith(2, 'token');
    expect([...el.querySelectorAll('h2.title')].map((h) => h.textContent?.trim())).toEqual([
      'Post 3',
      'Post 1',
    ]);
    expect(document.activeElement?.getAttribute('data-post-id')).toBe('1');
  });

  it('shows whether live updates are on', async () => {
    await render([]);
    const status = () => el.querySelector('[data-testid="live-status"]')!;
    expect(status().getAttribute('role')).toBe('status');
    expect(status().textContent).toContain('Connecting…');
    FakeEventSource.latest.open();
    await fixture.whenStable();
    expect(status().textContent).toContain('Live');
    FakeEventSource.latest.fail(false);
    await fixture.whenStable();
    expect(status().textContent).toContain('Reconnecting…');
  });

  it('announces new posts in the new view and shows them on request, focusing the first', async () => {
    await render([makePost({ id: 1 })], '/?sort=new');
    const source = FakeEventSource.latest;
    source.open();
    const region = el.querySelector('.incoming')!;
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.querySelector('button')).toBeNull();

    source.emit('post', makePost({ id: 2, title: 'Second' }));
    await fixture.whenStable();
    expect(region.querySelector('button')?.textContent?.trim()).toMatch(/1 new post$/);
    source.emit('post', makePost({ id: 3, title: 'Third' }));
    await fixture.whenStable();
    expect(region.querySelector('button')?.textContent?.trim()).toMatch(/2 new posts$/);
    expect(el.querySelectorAll('[data-testid="post"]')).toHaveLength(1);

    region.querySelector<HTMLButtonElement>('button')!.click();
    await fixture.whenStable();
    expect([...el.querySelectorAll('h2.title')].map((h) => h.textContent?.trim())).toEqual([
      'Third',
      'Second',
      'Post 1',
    ]);
    expect(region.querySelector('button')).toBeNull();
    expect(document.activeElement?.getAttribute('data-post-id')).toBe('3');
  });

  it('offers new posts in the hot view and loads the ranked first page for them', async () => {
    await render([makePost({ id: 1, title: 'Post 1', score: 5 })]);
    FakeEventSource.latest.open();
    FakeEventSource.latest.emit('post', makePost({ id: 2, title: 'Second' }));
    await fixture.whenStable();
    const offer = el.querySelector<HTMLButtonElement>('[data-testid="new-posts"]')!;
    expect(offer.textContent?.trim()).toMatch(/1 new post$/);
    expect(el.querySelectorAll('[data-testid="post"]')).toHaveLength(1);

    api.list.mockReturnValue(
      page([makePost({ id: 1, title: 'Post 1', score: 5 }), makePost({ id: 2, title: 'Second' })]),
    );
    offer.click();
    await fixture.whenStable();
    expect(api.list).toHaveBeenLastCalledWith('hot');
    expect([...el.querySelectorAll('h2.title')].map((h) => h.textContent?.trim())).toEqual([
      'Post 1',
      'Second',
    ]);
    expect(el.querySelector('[data-testid="new-posts"]')).toBeNull();
    expect(document.activeElement?.id).toBe('board-heading');
  });

  it('searches from the box, keeps the words in the address and marks them', async () => {
    await render([makePost({ id: 1, title: 'Harbour lights' }), makePost({ id: 2 })]);
    api.search.mockReturnValue(page([makePost({ id: 1, title: 'Harbour lights' })]));
    const field = el.querySelector<HTMLInputElement>('input[type="search"]')!;
    field.value = 'harbour';
    el.querySelector('form[role="search"]')!.dispatchEvent(
      new Event('submit', { cancelable: true }),
    );
    await fixture.whenStable();
    expect(api.search).toHaveBeenCalledWith('harbour');
    expect(address()).toBe('/?q=harbour');
    expect(el.querySelector('#board-heading')?.textContent?.trim()).toBe('Results for “harbour”');
    expect([...el.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['Harbour']);
    expect(el.querySelector('[aria-label="Order posts by"]')).toBeNull();

    api.search.mockReturnValue(page([]));
    field.value = 'nothing';
    el.querySelector('form[role="search"]')!.dispatchEvent(
      new Event('submit', { cancelable: true }),
    );
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="no-match"]')?.textContent).toContain(
      'No posts match “nothing”.',
    );

    button('Clear search')!.click();
    await fixture.whenStable();
    expect(address()).toBe('/');
    expect(el.querySelector('#board-heading')?.textContent?.trim()).toBe('Board');
    expect(el.querySelectorAll('[data-testid="post"]')).toHaveLength(2);
  });

  it('follows the address on back and forward', async () => {
    api.search.mockReturnValue(page([makePost({ id: 1 })]));
    await render([], '/?q=harbour');
    expect(api.search).toHaveBeenCalledWith('harbour');
    expect(api.list).not.toHaveBeenCalled();
    api.search.mockReturnValue(page([makePost({ id: 7 })]));
    await harness.navigateByUrl('/?q=gulls');
    await fixture.whenStable();
    expect(api.search).toHaveBeenLastCalledWith('gulls');
    expect(el.querySelector<HTMLInputElement>('input[type="search"]')!.value).toBe('gulls');
  });

  it('pauses live updates on request, says how many wait, and resumes', async () => {
    await render([makePost({ id: 1, score: 0 })], '/?sort=new');
    const source = FakeEventSource.latest;
    source.open();
    const toggle = el.querySelector<HTMLButtonElement>('[data-testid="pause-live"]')!;
    expect(toggle.textContent).toContain('Pause live updates');
    expect(toggle.getAttribute('aria-pressed')).toBe('false');
    toggle.click();
    await fixture.whenStable();
    expect(toggle.getAttribute('aria-pressed')).toBe('true');

    source.emit('score', { id: 1, score: 5 });
    source.emit('post', makePost({ id: 2 }));
    await fixture.whenStable();
    const status = el.querySelector('[data-testid="live-status"]')!;
    expect(status.textContent).toContain('paused, 2 changes waiting');
    expect(el.querySelector('[data-testid="score"]')?.textContent?.trim()).toBe('0');
    expect(el.querySelector('[data-testid="new-posts"]')).toBeNull();

    toggle.click();
    await fixture.whenStable();
    expect(status.textContent).not.toContain('paused');
    expect(el.querySelector('[data-testid="score"]')?.textContent?.trim()).toBe('5');
    expect(el.querySelector('[data-testid="new-posts"]')?.textContent).toContain('1 new post');
  });

  it('moves the focus on when the focused post is deleted elsewhere', async () => {
    await render([makePost({ id: 3 }), makePost({ id: 2 }), makePost({ id: 1 })], '/?sort=new');
    const source = FakeEventSource.latest;
    source.open();
    el.querySelector<HTMLButtonElement>('[data-post-id="1"] .vote--up')!.focus();
    source.emit('delete', { id: 1 });
    await fixture.whenStable();
    // The last post went: the one before it gets the focus.
    expect(document.activeElement?.getAttribute('data-post-id')).toBe('2');
    source.emit('delete', { id: 3 });
    await fixture.whenStable();
    expect(document.activeElement?.getAttribute('data-post-id')).toBe('2');
    source.emit('delete', { id: 2 });
    await fixture.whenStable();
    expect(document.activeElement?.id).toBe('board-heading');
  });
});
