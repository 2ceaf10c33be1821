import { HttpErrorResponse } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { of, throwError } from 'rxjs';

import { NotificationService } from '../../shared/notifications/notification.service';
import { makePost } from '../../posts/testing';
import { QueuedPost } from '../moderation.model';
import { ModeratorApi } from '../moderator-api';
import { MODERATOR_TOKEN_KEY } from '../moderator-session';
import { ModPage, defaultReason } from './mod-page';

function queued(overrides: Partial<QueuedPost> = {}): QueuedPost {
  return {
    ...makePost({ id: 7, title: 'Cheap watches', image_hash: 'a'.repeat(64) }),
    state: 'hidden',
    reports: 2,
    reasons: { spam: 2 },
    notes: ['Sells watches.'],
    poster: '0123456789ab',
    ...overrides,
  };
}

describe('ModPage', () => {
  let api: {
    queue: ReturnType<typeof vi.fn>;
    act: ReturnType<typeof vi.fn>;
    ban: ReturnType<typeof vi.fn>;
    image: ReturnType<typeof vi.fn>;
  };
  let el: HTMLElement;
  let harness: RouterTestingHarness;

  async function open(): Promise<void> {
    harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/mod');
    el = harness.fixture.nativeElement as HTMLElement;
    await settle();
  }

  /** Lets the effects run, then the queue's first read (a timer of 0 ms), then renders. */
  async function settle(): Promise<void> {
    harness.fixture.detectChanges();
    await new Promise((resolve) => setTimeout(resolve, 0));
    harness.fixture.detectChanges();
    await harness.fixture.whenStable();
  }

  const button = (name: string) =>
    [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null;

  beforeEach(() => {
    sessionStorage.clear();
    api = {
      queue: vi.fn(),
      act: vi.fn(),
      ban: vi.fn(),
      image: vi.fn(() => of(new Blob(['x'], { type: 'image/webp' }))),
    };
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: 'mod', component: ModPage }]),
        { provide: ModeratorApi, useValue: api },
      ],
    });
  });

  afterEach(() => sessionStorage.clear());

  it('asks for the token once, keeps it in this tab, and shows the queue', async () => {
    api.queue.mockReturnValue(of([queued()]));
    await open();
    expect(api.queue).not.toHaveBeenCalled();
    const input = el.querySelector<HTMLInputElement>('#moderator-token')!;
    expect(input.type).toBe('password');
    input.value = '  secret-token ';
    el.querySelector('form')!.dispatchEvent(new Event('submit'));
    await settle();

    expect(sessionStorage.getItem(MODERATOR_TOKEN_KEY)).toBe('secret-token');
    expect(api.queue).toHaveBeenCalledWith('secret-token');
    expect(el.querySelector('[data-testid="queue-count"]')?.textContent).toContain('1 post waits');
    const post = el.querySelector('[data-testid="queued-post"]')!;
    expect(post.textContent).toContain('Cheap watches');
    expect(post.textContent).toContain('Spam or advertising: 2');
    expect(post.textContent).toContain('“Sells watches.”');
    expect(post.textContent).toContain('0123456789ab');
    expect(button('Restore')).not.toBeNull();
    expect(button('Remove and purge image')).not.toBeNull();
    // The hidden post's picture, fetched with the token.
    expect(api.image).toHaveBeenCalledWith('secret-token', 'a'.repeat(64));
    expect(post.querySelector('img')?.getAttribute('src')).toMatch(/^blob:/);
  });

  it('acts in one click with the prefilled reason, then reads the queue again', async () => {
    sessionStorage.setItem(MODERATOR_TOKEN_KEY, 'tok');
    api.queue.mockReturnValueOnce(of([queued()])).mockReturnValue(of([]));
    api.act.mockReturnValue(of('removed'));
    const success = vi.spyOn(TestBed.inject(NotificationService), 'success');
    await open();

    button('Remove and purge image')!.click();
    await settle();
    expect(api.act).toHaveBeenCalledWith('tok', 7, 'purge', 'Reported: spam or advertising');
    expect(success).toHaveBeenCalledWith('Removed, and its image purged.');
    expect(el.textContent).toContain('Nothing waits for a moderator.');
  });

  it('bans the poster for the chosen length with the typed reason', async () => {
    sessionStorage.setItem(MODERATOR_TOKEN_KEY, 'tok');
    api.queue.mockReturnValue(of([queued()]));
    api.ban.mockReturnValue(of(undefined));
    await open();
    const reason = el.querySelector<HTMLInputElement>('#reason-7')!;
    reason.value = 'Spam wave';
    reason.dispatchEvent(new Event('input'));
    button('Ban poster for good')!.click();
    await settle();
    expect(api.ban).toHaveBeenCalledWith('tok', 7, null, 'Spam wave');
  });

  it('forgets a wrong token with an error toast', async () => {
    sessionStorage.setItem(MODERATOR_TOKEN_KEY, 'wrong');
    const refused = new HttpErrorResponse({
      status: 403,
      error: {
        detail: { user_message: 'This moderator token is not valid (unknown, or revoked).' },
      },
    });
    api.queue.mockReturnValue(throwError(() => refused));
    const error = vi.spyOn(TestBed.inject(NotificationService), 'error');
    await open();
    expect(error).toHaveBeenCalledWith('This moderator token is not valid (unknown, or revoked).');
    expect(sessionStorage.getItem(MODERATOR_TOKEN_KEY)).toBeNull();
    expect(el.querySelector('#moderator-token')).not.toBeNull();
  });

  it('prefills the reason from the most frequent report reason', () => {
    expect(defaultReason(queued({ reasons: { abuse: 1, illegal: 3 } }))).toBe(
      'Reported: illegal content',
    );
    expect(defaultReason(queued({ reasons: {}, reports: 0 }))).toBe('Checked by a moderator');
  });
});
