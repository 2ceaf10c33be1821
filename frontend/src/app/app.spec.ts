import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { App } from './app';

describe('App', () => {
  beforeEach(() => {
    TestBed.configureTestingModule({
      imports: [App],
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
  });

  it('renders the brand, the form, the board and a polite live region', async () => {
    const fixture = TestBed.createComponent(App);
    await fixture.whenStable();
    const el = fixture.nativeElement as HTMLElement;
    expect(el.querySelector('h1')?.textContent).toContain('Postboard');
    expect(el.querySelector('form')).not.toBeNull();
    expect(el.querySelector('[aria-live="polite"]')).not.toBeNull();
    TestBed.inject(HttpTestingController)
      .expectOne((r) => r.url === '/post')
      .flush([]);
    await fixture.whenStable();
    expect(el.textContent).toContain('No posts yet.');
  });
});
