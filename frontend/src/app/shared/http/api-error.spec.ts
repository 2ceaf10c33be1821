import { HttpErrorResponse, HttpHeaders } from '@angular/common/http';

import { NETWORK_ERROR_MESSAGE, retryAfterSentence, userMessageFor } from './api-error';

describe('userMessageFor', () => {
  it("shows the server's user_message", () => {
    const error = new HttpErrorResponse({
      status: 422,
      error: { detail: { user_message: 'Title is required.', internal_message: 'validation' } },
    });
    expect(userMessageFor(error)).toBe('Title is required.');
  });

  it('reads a JSON body that arrived as text', () => {
    const error = new HttpErrorResponse({
      status: 415,
      error: '{"detail":{"user_message":"Not an image."}}',
    });
    expect(userMessageFor(error)).toBe('Not an image.');
  });

  it('has a message of its own for network failures (status 0)', () => {
    const error = new HttpErrorResponse({ status: 0, error: new ProgressEvent('error') });
    expect(userMessageFor(error)).toBe(NETWORK_ERROR_MESSAGE);
  });

  it('falls back to a generic message with the status', () => {
    expect(userMessageFor(new HttpErrorResponse({ status: 502, error: '<html>' }))).toContain(
      'HTTP 502',
    );
    expect(userMessageFor(new Error('boom'))).toContain('Something went wrong');
  });
});

describe('rate limits (429)', () => {
  const limited = (retryAfter: string | null, userMessage: string | null = 'Too many posts.') =>
    new HttpErrorResponse({
      status: 429,
      headers:
        retryAfter === null ? new HttpHeaders() : new HttpHeaders({ 'Retry-After': retryAfter }),
      error: userMessage
        ? { detail: { user_message: userMessage, internal_message: 'rate limit: posts' } }
        : null,
    });

  it("shows the server's message and when to try again", () => {
    expect(userMessageFor(limited('120'))).toBe('Too many posts. Try again in 2 minutes.');
    expect(userMessageFor(limited('30'))).toBe('Too many posts. Try again in 30 seconds.');
  });

  it('says "later" without a usable Retry-After, and has a message of its own', () => {
    expect(userMessageFor(limited(null))).toBe('Too many posts. Try again later.');
    expect(userMessageFor(limited('soon'))).toBe('Too many posts. Try again later.');
    expect(userMessageFor(limited('5', null))).toBe('Too many requests. Try again in 5 seconds.');
    expect(userMessageFor(limited('5', 'Slow down'))).toBe('Slow down. Try again in 5 seconds.');
  });

  it('rounds delays up into seconds, minutes and hours', () => {
    expect(retryAfterSentence('0')).toBe('Try again in a moment.');
    expect(retryAfterSentence('1')).toBe('Try again in a moment.');
    expect(retryAfterSentence('2')).toBe('Try again in 2 seconds.');
    expect(retryAfterSentence('59')).toBe('Try again in 59 seconds.');
    expect(retryAfterSentence('60')).toBe('Try again in 1 minute.');
    expect(retryAfterSentence('61')).toBe('Try again in 2 minutes.');
    expect(retryAfterSentence('3600')).toBe('Try again in 1 hour.');
    expect(retryAfterSentence('7201')).toBe('Try again in 3 hours.');
  });

  it('reads an HTTP date too', () => {
    const now = Date.parse('2026-11-26T18:00:00Z');
    expect(retryAfterSentence('Thu, 26 Nov 2026 18:05:00 GMT', now)).toBe(
      'Try again in 5 minutes.',
    );
    expect(retryAfterSentence('Thu, 26 Nov 2026 17:00:00 GMT', now)).toBe('Try again in a moment.');
  });
});
