import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { Router, provideRouter } from '@angular/router';

import { App } from './app';
import { routes } from './app.routes';
import { EVENT_SOURCE_FACTORY } from './posts/live/live-events';
import { makePost } from './posts/testing';
import { BROWSER_STORAGE } from './shared/storage/persistent-map';
import { MemoryStorage } from './shared/storage/testing';

describe('App', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      imports: [App],
      providers: [
        provideHttpClient(),
        provideHttpClientTesting(),
        provideRouter(routes),
        { provide: BROWSER_STORAGE, useValue: new MemoryStorage() },
        { provide: EVENT_SOURCE_FACTORY, useValue: null },
      ],
    });
  });

  afterEach(() => {
    Reflect.deleteProperty(window, 'matchMedia');
  });

  it('renders the brand, the form, the board and a polite live region', async () => {
    const fixture = TestBed.createComponent(App);
    await TestBed.inject(Router).navigateByUrl('/');
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('h1')?.textContent).toContain('Postboard');
    expect(el.querySelector('form')).not.toBeNull();
    expect(el.querySelector('[aria-live="polite"]')).not.toBeNull();
    TestBed.inject(HttpTestingController)
      .expectOne((r) => r.url === '/post' && r.params.get('sort') === 'hot')
      .flush([]);
    await fixture.whenStable();
    expect(el.textContent).toContain('No posts yet.');
  });

  it('keeps the form behind a "New post" disclosure on narrow screens', async () => {
    Object.defineProperty(window, 'matchMedia', {
      configurable: true,
      value: (query: string) => ({ matches: false, media: query }),
    });
    const fixture = TestBed.createComponent(App);
    const el = fixture.nativeElement as HTMLElement;
    document.body.appendChild(el);
    await TestBed.inject(Router).navigateByUrl('/');
    await fixture.whenStable();
    const toggle = [...el.querySelectorAll('button')].find((b) =>
      b.textContent?.includes('New post'),
    )!;
    const side = el.querySelector('#compose')!;
    expect(toggle.getAttribute('aria-controls')).toBe('compose');
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(side.classList).not.toContain('layout__side--open');

    toggle.click();
    await fixture.whenStable();
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(side.classList).toContain('layout__side--open');
    expect(document.activeElement?.id).toBe('post-title');

    // Posting closes it again and gives the focus back to the button.
    const http = TestBed.inject(HttpTestingController);
    http.expectOne((r) => r.url === '/post' && r.method === 'GET').flush([]);
    const title = el.querySelector<HTMLInputElement>('#post-title')!;
    title.value = 'Hello';
    title.dispatchEvent(new Event('input'));
    const text = el.querySelector<HTMLTextAreaElement>('#post-text')!;
    text.value = 'From a phone';
    text.dispatchEvent(new Event('input'));
    el.querySelector('form')!.dispatchEvent(new Event('submit', { cancelable: true }));
    http
      .expectOne((r) => r.url === '/post' && r.method === 'POST')
      .flush({ ...makePost({ id: 1, title: 'Hello' }), delete_token: 'tok' });
    await fixture.whenStable();
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    expect(document.activeElement).toBe(toggle);
    expect(el.textContent).toContain('Hello');
    el.remove();
  });
});
