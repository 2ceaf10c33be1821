import { ComponentFixture, TestBed } from '@angular/core/testing';
import { of } from 'rxjs';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
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
    api = { list: vi.fn(), page: vi.fn(), create: vi.fn(), vote: vi.fn(), delete: vi.fn() };
    TestBed.configureTestingModule({
      imports: [PostList],
      providers: [
        { provide: PostService, useValue: api },
        { provide: BROWSER_STORAGE, useValue: new MemoryStorage() },
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
});
