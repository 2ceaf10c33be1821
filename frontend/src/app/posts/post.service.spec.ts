import { HttpErrorResponse, provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { CreatedPost, Post, PostPage } from './post.model';
import { PostService } from './post.service';
import { makePost } from './testing';

describe('PostService', () => {
  let service: PostService;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    service = TestBed.inject(PostService);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('lists newest first without a sort parameter and reads the next link', () => {
    let page: PostPage | undefined;
    service.list('new', 20).subscribe((p) => (page = p));
    const req = http.expectOne((r) => r.url === '/post');
    expect(req.request.method).toBe('GET');
    expect(req.request.params.get('limit')).toBe('20');
    expect(req.request.params.has('sort')).toBe(false);
    req.flush([makePost({ id: 2 }), makePost({ id: 1 })], {
      headers: { Link: '</post?cursor=abc&limit=20>; rel="next"' },
    });
    expect(page?.posts.map((p) => p.id)).toEqual([2, 1]);
    expect(page?.next).toBe('/post?cursor=abc&limit=20');
  });

  it('asks for ?sort=top and reports no next page without a Link header', () => {
    let page: PostPage | undefined;
    service.list('top').subscribe((p) => (page = p));
    const req = http.expectOne((r) => r.url === '/post' && r.params.get('sort') === 'top');
    req.flush([]);
    expect(page).toEqual({ posts: [], next: null });
  });

  it('asks for ?sort=hot', () => {
    service.list('hot').subscribe();
    http.expectOne((r) => r.url === '/post' && r.params.get('sort') === 'hot').flush([]);
  });

  it('follows a next URL as given, relative or absolute', () => {
    let page: PostPage | undefined;
    service.page('/post?cursor=abc').subscribe((p) => (page = p));
    http
      .expectOne('/post?cursor=abc')
      .flush([makePost({ id: 7 })], { headers: { Link: '<?cursor=def>; rel="next"' } });
    expect(page?.next).toBe('/post?cursor=def');

    service.page('http://api.example/post?cursor=x').subscribe((p) => (page = p));
    http
      .expectOne('http://api.example/post?cursor=x')
      .flush([], { headers: { Link: '<http://api.example/post?cursor=y>; rel="next"' } });
    expect(page?.next).toBe('http://api.example/post?cursor=y');
  });

  it('passes list errors on', () => {
    let error: HttpErrorResponse | undefined;
    service.list('new').subscribe({ error: (e) => (error = e) });
    http
      .expectOne((r) => r.url === '/post')
      .flush(
        { detail: { user_message: 'The board is unavailable.', internal_message: 'db' } },
        { status: 503, statusText: 'Service Unavailable' },
      );
    expect(error?.status).toBe(503);
    expect(error?.error.detail.user_message).toBe('The board is unavailable.');
  });

  it('creates a post as multipart/form-data with title, post, username and file', () => {
    const file = new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], 'cat.png', {
      type: 'image/png',
    });
    let created: CreatedPost | undefined;
    service
      .create({ title: 'Hello', post: 'World', username: '', file })
      .subscribe((p) => (created = p));
    const req = http.expectOne('/post');
    expect(req.request.method).toBe('POST');
    const body = req.request.body as FormData;
    expect(body).toBeInstanceOf(FormData);
    expect(body.get('title')).toBe('Hello');
    expect(body.get('post')).toBe('World');
    expect(body.get('username')).toBe('');
    expect((body.get('file') as File).name).toBe('cat.png');
    req.flush(
      { ...makePost({ id: 3, title: 'Hello' }), delete_token: 'tok' },
      { status: 201, statusText: 'Created' },
    );
    expect(created?.id).toBe(3);
    expect(created?.delete_token).toBe('tok');
  });

  it('sends no file part without an image', () => {
    service.create({ title: 'T', post: 'P', username: 'me', file: null }).subscribe();
    const req = http.expectOne('/post');
    expect((req.request.body as FormData).has('file')).toBe(false);
    req.flush(makePost());
  });

  it('passes create errors on (415 from the server)', () => {
    let error: HttpErrorResponse | undefined;
    service
      .create({ title: 'T', post: 'P', username: '', file: null })
      .subscribe({ error: (e) => (error = e) });
    http
      .expectOne('/post')
      .flush(
        { detail: { user_message: 'The file is not an image.', internal_message: 'sniff' } },
        { status: 415, statusText: 'Unsupported Media Type' },
      );
    expect(error?.status).toBe(415);
  });

  it('votes with post_id and score_increase', () => {
    let updated: Post | undefined;
    service.vote(42, -1).subscribe((p) => (updated = p));
    const req = http.expectOne('/update-post-score');
    expect(req.request.method).toBe('POST');
    expect(req.request.body).toEqual({ post_id: 42, score_increase: -1 });
    req.flush(makePost({ id: 42, score: -1 }));
    expect(updated?.score).toBe(-1);
  });

  it('passes vote errors on, including network failures', () => {
    let error: HttpErrorResponse | undefined;
    service.vote(1, 1).subscribe({ error: (e) => (error = e) });
    http.expectOne('/update-post-score').error(new ProgressEvent('error'));
    expect(error?.status).toBe(0);
  });
});

describe('PostService.delete', () => {
  let service: PostService;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    service = TestBed.inject(PostService);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('sends DELETE /post/{id} with the token as a bearer credential', () => {
    let done = false;
    service.delete(42, 'secret-token').subscribe({ complete: () => (done = true) });
    const req = http.expectOne('/post/42');
    expect(req.request.method).toBe('DELETE');
    expect(req.request.headers.get('Authorization')).toBe('Bearer secret-token');
    req.flush(null, { status: 204, statusText: 'No Content' });
    expect(done).toBe(true);
  });

  it('passes refusals on with their status', () => {
    let status = 0;
    service.delete(42, 'wrong').subscribe({ error: (e: HttpErrorResponse) => (status = e.status) });
    http
      .expectOne('/post/42')
      .flush(
        { detail: { user_message: 'That is not your post.', internal_message: 'token' } },
        { status: 403, statusText: 'Forbidden' },
      );
    expect(status).toBe(403);
  });
});
