import { ComponentFixture, TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
import { EVENT_SOURCE_FACTORY } from '../live/live-events';
import { FakeEventSource } from '../live/testing';
import { OwnPosts } from '../own-posts/own-posts';
import { Post, PostPage } from '../post.model';
import { PostService } from '../post.service';
import { makePost } from '../testing';
import { PostList } from './post-list';

describe('PostList', () => {
  let fixture: ComponentFixture<PostList>;
  let el: HTMLElement;
  let api: Record<'list' | 'page' | 'create' | 'vote' | 'delete', ReturnType<typeof vi.fn>>;

  const page = (posts: Post[]) => of<PostPage>({ posts, next: null });
  const button = (name: string) =>
    [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null;

  async function render(posts: Post[], url = '/'): Promise<void> {
    history.replaceState(null, '', url);
    api.list.mockReturnValue(page(posts));
    fixture = TestBed.createComponent(PostList);
    el = fixture.nativeElement;
    document.body.appendChild(el);
    await fixture.whenStable();
  }

  beforeEach(() => {
    FakeEventSource.instances = [];
    api = { list: vi.fn(), page: vi.fn(), create: vi.fn(), vote: vi.fn(), delete: vi.fn() };
    TestBed.configureTestingModule({
      imports: [PostList],
      providers: [
        { provide: PostService, useValue: api },
        { provide: BROWSER_STORAGE, useValue: new MemoryStorage() },
        { provide: EVENT_SOURCE_FACTORY, useValue: FakeEventSource.factory },
      ],
    });
  });

  afterEach(() => {
    el?.remove();
    history.replaceState(null, '', '/');
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
    expect(location.search).toBe('?sort=top');
    button('Hot')!.click();
    await fixture.whenStable();
    expect(location.search).toBe('');
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

  it('does not offer new posts in the hot view', async () => {
    await render([makePost({ id: 1 })]);
    FakeEventSource.latest.emit('post', makePost({ id: 2 }));
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="new-posts"]')).toBeNull();
    expect(el.querySelectorAll('[data-testid="post"]')).toHaveLength(1);
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
