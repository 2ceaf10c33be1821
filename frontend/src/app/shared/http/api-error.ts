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

/**
 * A sentence to show the user for a failed call: the server's `detail.user_message` when there
 * is one, a dedicated message when the server could not be reached, a generic one otherwise.
 */
export function userMessageFor(error: unknown): string {
  if (error instanceof HttpErrorResponse) {
    if (error.status === 0) {
      return NETWORK_ERROR_MESSAGE;
    }
    const fromServer = userMessageOf(error.error);
    if (fromServer) {
      return fromServer;
    }
    return `Something went wrong (HTTP ${error.status}). Please try again.`;
  }
  return 'Something went wrong. Please try again.';
}
