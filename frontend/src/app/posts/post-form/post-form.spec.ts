import { HttpErrorResponse } from '@angular/common/http';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { Subject, of } from 'rxjs';

import { IMAGE_HINT, POST_LIMITS } from '../post-limits';
import { Post } from '../post.model';
import { NotificationService } from '../../shared/notifications/notification.service';
import { PostStore } from '../post-store';
import { makePost } from '../testing';
import { PostForm } from './post-form';

describe('PostForm', () => {
  let fixture: ComponentFixture<PostForm>;
  let el: HTMLElement;
  let store: { create: ReturnType<typeof vi.fn>; isWaiting: ReturnType<typeof vi.fn> };

  const field = <T extends HTMLElement>(id: string) => el.querySelector<T>(`#${id}`)!;

  async function type(id: string, value: string): Promise<void> {
    const input = field<HTMLInputElement>(id);
    input.value = value;
    input.dispatchEvent(new Event('input'));
    input.dispatchEvent(new Event('blur'));
    await fixture.whenStable();
  }

  async function choose(file: File): Promise<void> {
    const input = field<HTMLInputElement>('post-file');
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input.dispatchEvent(new Event('change'));
    await fixture.whenStable();
  }

  async function submit(): Promise<void> {
    el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    await fixture.whenStable();
  }

  const errorOf = (id: string) => el.querySelector(`#${id}-error`)?.textContent?.trim() ?? null;

  beforeEach(async () => {
    store = { create: vi.fn(), isWaiting: vi.fn(() => false) };
    TestBed.configureTestingModule({
      imports: [PostForm],
      providers: [{ provide: PostStore, useValue: store }],
    });
    URL.createObjectURL ??= () => 'blob:preview';
    URL.revokeObjectURL ??= () => undefined;
    fixture = TestBed.createComponent(PostForm);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });

  it('labels every control and uses "anonymous" as the name placeholder', () => {
    for (const id of ['post-title', 'post-text', 'post-username', 'post-file']) {
      expect(el.querySelector(`label[for="${id}"]`)).not.toBeNull();
    }
    expect(field<HTMLInputElement>('post-username').placeholder).toBe('anonymous');
    expect(field<HTMLInputElement>('post-file').accept).toBe(
      'image/png,image/jpeg,image/gif,image/webp',
    );
  });

  it('shows the counters and the image hint from POST_LIMITS', async () => {
    expect(el.textContent).toContain(`0/${POST_LIMITS.title}`);
    expect(el.textContent).toContain(`0/${POST_LIMITS.text}`);
    expect(el.querySelector('#post-file-hint')?.textContent?.trim()).toBe(IMAGE_HINT);
    await type('post-text', 'abc');
    expect(el.textContent).toContain(`3/${POST_LIMITS.text}`);
  });

  it('shows required errors next to the fields on submit and sends nothing', async () => {
    await submit();
    expect(errorOf('post-title')).toBe('Title is required.');
    expect(errorOf('post-text')).toBe('Text is required.');
    expect(field('post-title').getAttribute('aria-invalid')).toBe('true');
    expect(field('post-title').getAttribute('aria-describedby')).toBe('post-title-error');
    expect(document.activeElement).toBe(field('post-title'));
    expect(store.create).not.toHaveBeenCalled();
  });

  it('counts a multi-byte title in code points', async () => {
    await type('post-title', '😀'.repeat(100));
    expect(errorOf('post-title')).toBeNull();
    expect(el.textContent).toContain('100/100');
    await type('post-title', '😀'.repeat(101));
    expect(errorOf('post-title')).toBe('Title must be at most 100 characters.');
  });

  it('flags a too-long username', async () => {
    await type('post-username', 'n'.repeat(51));
    expect(errorOf('post-username')).toBe('Username must be at most 50 characters.');
  });

  it('refuses a non-image file and a file over 10 MiB next to the picker', async () => {
    await choose(new File(['hello'], 'notes.txt', { type: 'text/plain' }));
    expect(errorOf('post-file')).toBe('Choose a PNG, JPEG, GIF or WebP image.');
    const big = new File(['x'], 'big.png', { type: 'image/png' });
    Object.defineProperty(big, 'size', { value: 11 * 1024 * 1024 });
    await choose(big);
    expect(errorOf('post-file')).toContain('Image must be at most 10 MiB');
  });

  it('previews the chosen image and removes it', async () => {
    await choose(new File([new Uint8Array([0x89, 0x50])], 'cat.png', { type: 'image/png' }));
    expect(el.querySelector('img[alt="Preview of the chosen image"]')).not.toBeNull();
    expect(el.textContent).toContain('cat.png');
    el.querySelector<HTMLButtonElement>('.preview button')!.click();
    await fixture.whenStable();
    expect(el.querySelector('.preview')).toBeNull();
    expect(fixture.componentInstance.file()).toBeNull();
  });

  it('says when the new post waits for a moderator', async () => {
    store.create.mockReturnValue(of(makePost({ id: 4 })));
    store.isWaiting.mockReturnValue(true);
    await type('post-title', 'Photo');
    await type('post-text', 'Of the harbour');
    await submit();
    await fixture.whenStable();
    expect(store.isWaiting).toHaveBeenCalledWith(4);
    expect(
      TestBed.inject(NotificationService)
        .notifications()
        .map((n) => n.message),
    ).toEqual(['Your post waits for a moderator.']);
  });

  it('sends trimmed values and the file, then resets', async () => {
    const response = new Subject<Post>();
    store.create.mockReturnValue(response);
    const file = new File([new Uint8Array([0x89, 0x50])], 'cat.png', { type: 'image/png' });
    await type('post-title', '  Hello  ');
    await type('post-text', ' World ');
    await type('post-username', ' me ');
    await choose(file);
    await submit();
    expect(store.create).toHaveBeenCalledWith({
      title: 'Hello',
      post: 'World',
      username: 'me',
      file,
    });
    expect(el.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled).toBe(true);
    response.next(makePost());
    response.complete();
    await fixture.whenStable();
    expect(field<HTMLInputElement>('post-title').value).toBe('');
    expect(fixture.componentInstance.file()).toBeNull();
    expect(el.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled).toBe(false);
  });

  it('keeps what the user typed when the server refuses', async () => {
    const response = new Subject<Post>();
    store.create.mockReturnValue(response);
    await type('post-title', 'Hello');
    await type('post-text', 'World');
    await submit();
    response.error(new HttpErrorResponse({ status: 415 }));
    await fixture.whenStable();
    expect(field<HTMLInputElement>('post-title').value).toBe('Hello');
    expect(el.querySelector<HTMLButtonElement>('button[type="submit"]')!.disabled).toBe(false);
  });
});
