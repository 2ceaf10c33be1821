import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';

import { ModerationService } from './moderation.service';

describe('ModerationService', () => {
  let service: ModerationService;
  let http: HttpTestingController;

  beforeEach(() => {
    TestBed.configureTestingModule({
      providers: [provideHttpClient(), provideHttpClientTesting()],
    });
    service = TestBed.inject(ModerationService);
    http = TestBed.inject(HttpTestingController);
  });

  afterEach(() => http.verify());

  it('posts the reason and the trimmed note to the post’s report route', () => {
    let done = false;
    service.report(7, { reason: 'abuse', note: '  name-calling ' }).subscribe(() => (done = true));
    const request = http.expectOne('/post/7/report');
    expect(request.request.method).toBe('POST');
    expect(request.request.body).toEqual({ reason: 'abuse', note: 'name-calling' });
    request.flush(null, { status: 202, statusText: 'Accepted' });
    expect(done).toBe(true);
  });

  it('leaves a blank note out', () => {
    service.report(8, { reason: 'spam', note: '   ' }).subscribe();
    const request = http.expectOne('/post/8/report');
    expect(request.request.body).toEqual({ reason: 'spam' });
    request.flush(null, { status: 202, statusText: 'Accepted' });
  });
});
