import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { Title } from '@angular/platform-browser';
import { Router, provideRouter, withComponentInputBinding } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { of, throwError } from 'rxjs';

import { NotificationService } from '../../shared/notifications/notification.service';
import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
import { EVENT_SOURCE_FACTORY } from '../live/live-events';
import { FakeEventSource } from '../live/testing';
import { OwnPosts } from '../own-posts/own-posts';
import { PostService } from '../post.service';
import { FakePostService, fakePostService, makePost } from '../testing';
import { PostPage } from './post-page';

describe('PostPage', () => {
  let api: FakePostService;
  let harness: RouterTestingHarness;
  let el: HTMLElement;

  async function open(url: string): Promise<void> {
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl(url);
    el = harness.fixture.nativeElement as HTMLElement;
    await harness.fixture.whenStable();
  }

  const button = (name: string) =>
    [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null;

  beforeEach(() => {
    FakeEventSource.instances = [];
    api = fakePostService();
    TestBed.configureTestingModule({
      providers: [
        provideRouter(
          [
            { path: 'p/:id', component: PostPage },
            { path: '', children: [] },
          ],
          withComponentInputBinding(),
        ),
        { provide: PostService, useValue: api },
        { provide: BROWSER_STORAGE, useValue: new MemoryStorage() },
        { provide: EVENT_SOURCE_FACTORY, useValue: FakeEventSource.factory },
      ],
    });
  });

  it('shows the post, live, with its title as the page title', async () => {
    api.get.mockReturnValue(of(makePost({ id: 7, title: 'Harbour', score: 2 })));
    await open('/p/7');
    expect(api.get).toHaveBeenCalledWith(7);
    expect(el.querySelector('h2.title')?.textContent?.trim()).toBe('Harbour');
    expect(el.querySelector('h2.title a')).toBeNull();
    expect(TestBed.inject(Title).getTitle()).toBe('Harbour · Postboard');
    expect(FakeEventSource.instances).toHaveLength(1);

    FakeEventSource.latest.open();
    FakeEventSource.latest.emit('score', { id: 7, score: 9 });
    FakeEventSource.latest.emit('post', makePost({ id: 8 }));
    await harness.fixture.whenStable();
    expect(el.querySelector('[data-testid="score"]')?.textContent?.trim()).toBe('9');
    expect(el.querySelectorAll('[data-testid="post"]')).toHaveLength(1);
  });

  it('says when there is no such post, without asking for a malformed one', async () => {
    api.get.mockReturnValue(throwError(() => new HttpErrorResponse({ status: 404 })));
    await open('/p/404');
    expect(el.querySelector('[data-testid="post-not-found"]')?.textContent).toContain(
      'This post does not exist, or it was deleted.',
    );
    expect(TestBed.inject(Title).getTitle()).toBe('Post not found · Postboard');
    api.get.mockClear();
    await harness.navigateByUrl('/p/abc');
    await harness.fixture.whenStable();
    expect(api.get).not.toHaveBeenCalled();
    expect(el.querySelector('[data-testid="post-not-found"]')).not.toBeNull();
  });

  it('copies its link', async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
    api.get.mockReturnValue(of(makePost({ id: 7 })));
    await open('/p/7');
    button('Copy link')!.click();
    await harness.fixture.whenStable();
    expect(writeText).toHaveBeenCalledWith(`${location.origin}/p/7`);
    expect(TestBed.inject(NotificationService).notifications()[0].message).toBe('Link copied.');
    Reflect.deleteProperty(navigator, 'clipboard');
  });

  it('goes back to the board once its author deleted it', async () => {
    TestBed.inject(OwnPosts).remember(7, 'tok');
    api.get.mockReturnValue(of(makePost({ id: 7, title: 'Mine' })));
    api.delete.mockReturnValue(of(undefined));
    await open('/p/7');
    button('Delete')!.click();
    await harness.fixture.whenStable();
    button('Yes, delete')!.click();
    await harness.fixture.whenStable();
    await harness.fixture.whenStable();
    expect(api.delete).toHaveBeenCalledWith(7, 'tok');
    expect(TestBed.inject(Router).url).toBe('/');
  });
});
