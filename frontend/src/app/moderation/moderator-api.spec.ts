import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { ModeratorApi } from './moderator-api';

describe('ModeratorApi', () => {
  let service: ModeratorApi;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    service = TestBed.inject(ModeratorApi);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('reads the queue with the moderator token', () => {
    service.queue('tok').subscribe();
    const request = http.expectOne('/mod/queue');
    expect(request.request.headers.get('Authorization')).toBe('Bearer tok');
    request.flush([]);
  });

  it('sends a purge as a removal with purge_image, and answers the new state', () => {
    let state = '';
    service.act('tok', 7, 'purge', 'Illegal').subscribe((s) => (state = s));
    const request = http.expectOne('/mod/post/7/remove');
    expect(request.request.body).toEqual({ reason: 'Illegal', purge_image: true });
    expect(request.request.headers.get('Authorization')).toBe('Bearer tok');
    request.flush({ id: 7, state: 'removed' });
    expect(state).toBe('removed');

    service.act('tok', 8, 'restore', 'Fine').subscribe();
    expect(http.expectOne('/mod/post/8/restore').request.body).toEqual({ reason: 'Fine' });
  });

  it('bans the poster by address for some days or for good', () => {
    service.ban('tok', 9, null, 'Spam').subscribe();
    const request = http.expectOne('/mod/ban');
    expect(request.request.body).toEqual({
      post_id: 9,
      scope: 'address',
      days: null,
      reason: 'Spam',
    });
    request.flush({ id: 1 });
  });

  it('pages the public log by its Link header', () => {
    let next: string | null = '';
    service.modLog().subscribe((page) => (next = page.next));
    http
      .expectOne('/modlog')
      .flush([], { headers: { Link: '</modlog?limit=50&before=3>; rel="next"' } });
    expect(next).toMatch(/\/modlog\?limit=50&before=3$/);
  });

  it('fetches a post’s image with the token, as a blob', () => {
    let blob: Blob | null = null;
    service.image('tok', 'ab'.repeat(32)).subscribe((b) => (blob = b));
    const request = http.expectOne(`/mod/image/${'ab'.repeat(32)}?width=320`);
    expect(request.request.headers.get('Authorization')).toBe('Bearer tok');
    request.flush(new Blob(['x'], { type: 'image/webp' }));
    expect(blob).not.toBeNull();
  });
});
