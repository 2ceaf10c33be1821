import { HttpErrorResponse } from '@angular/common/http';

import { NETWORK_ERROR_MESSAGE, userMessageFor } from './api-error';

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
