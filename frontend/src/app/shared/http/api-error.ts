import { HttpErrorResponse } from '@angular/common/http';

/** The error body every non-2xx API response carries (see API.md, "Errors"). */
export interface ApiErrorBody {
  detail: { user_message: string; internal_message?: string };
}

export const NETWORK_ERROR_MESSAGE =
  'Cannot reach the server. Check your connection and try again.';

function userMessageOf(body: unknown): string | null {
  let value = body;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return null;
    }
  }
  const detail = (value as Partial<ApiErrorBody> | null)?.detail;
  const message = detail?.user_message;
  return typeof message === 'string' && message.trim() !== '' ? message : null;
}

export const RATE_LIMIT_MESSAGE = 'Too many requests.';

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/**
 * "Try again in 2 minutes." from a `Retry-After` header: delay-seconds or an HTTP date
 * (RFC 9110 §10.2.3). Rounded up, so the user never tries too early. Without a usable header:
 * "Try again later."
 */
export function retryAfterSentence(header: string | null, now: number = Date.now()): string {
  const value = header?.trim() ?? '';
  let seconds = NaN;
  if (/^\d+$/.test(value)) {
    seconds = Number(value);
  } else if (value) {
    const date = Date.parse(value);
    if (!Number.isNaN(date)) {
      seconds = Math.max(0, Math.ceil((date - now) / 1000));
    }
  }
  if (!Number.isFinite(seconds)) {
    return 'Try again later.';
  }
  if (seconds <= 1) {
    return 'Try again in a moment.';
  }
  if (seconds < 60) {
    return `Try again in ${plural(seconds, 'second')}.`;
  }
  if (seconds < 3600) {
    return `Try again in ${plural(Math.ceil(seconds / 60), 'minute')}.`;
  }
  return `Try again in ${plural(Math.ceil(seconds / 3600), 'hour')}.`;
}

/**
 * A sentence to show the user for a failed call: the server's `detail.user_message` when there
 * is one, a dedicated message when the server could not be reached, a generic one otherwise.
 * A 429 (rate limit) also says when to try again, from its `Retry-After` header.
 */
export function userMessageFor(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    if (error.status === 0) {
      return NETWORK_ERROR_MESSAGE;
    }
    const fromServer = userMessageOf(error.error);
    if (error.status === 429) {
      const retry = retryAfterSentence(error.headers?.get('Retry-After') ?? null);
      return `${withFullStop(fromServer ?? RATE_LIMIT_MESSAGE)} ${retry}`;
    }
    if (fromServer) {
      return fromServer;
    }
    return `Something went wrong (HTTP ${error.status}). Please try again.`;
  }
  return 'Something went wrong. Please try again.';
}

function withFullStop(sentence: string): string {
  const trimmed = sentence.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}
