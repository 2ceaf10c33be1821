import { DOCUMENT } from '@angular/common';
import { DestroyRef, Injectable, InjectionToken, inject, signal } from '@angular/core';
import { Observable, Subject } from 'rxjs';

import { environment } from '../../../environments/environment';
import { Post } from '../post.model';

/** One event of `GET /events` (API.md, "Live events"), parsed and checked. */
export type LiveEvent =
  | { type: 'post'; post: Post }
  | { type: 'score'; id: number; score: number }
  | { type: 'delete'; id: number }
  | { type: 'resync' };

/**
 * `connecting`: first connection under way; `live`: open; `reconnecting`: lost, a new
 * connection is under way; `offline`: no live updates in this browser (no EventSource).
 */
export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

/** What this service uses of an EventSource: the browser's, or a fake in tests. */
export interface EventSourceLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceFactory = (url: string) => EventSourceLike;

/** Makes the EventSource; null where the browser has none. Replace it in tests. */
export const EVENT_SOURCE_FACTORY = new InjectionToken<EventSourceFactory | null>(
  'EVENT_SOURCE_FACTORY',
  {
    providedIn: 'root',
    factory: () => {
      const view = inject(DOCUMENT).defaultView as (Window & typeof globalThis) | null;
      const EventSourceClass = view?.EventSource;
      return EventSourceClass ? (url) => new EventSourceClass(url) : null;
    },
  },
);

/** EventSource.readyState once the browser has given up on a connection. */
const CLOSED = 2;

/** Pauses before opening a new connection after the browser gave one up, growing per try. */
export const RECONNECT_DELAYS_MS = [1000, 2000, 5000, 10_000, 30_000] as const;

const EVENT_TYPES = ['post', 'score', 'delete', 'resync'] as const;

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

function isPost(value: unknown): value is Post {
  const p = value as Partial<Record<keyof Post, unknown>> | null;
  return (
    !!p &&
    typeof p === 'object' &&
    isId(p.id) &&
    typeof p.title === 'string' &&
    typeof p.post === 'string' &&
    typeof p.username === 'string' &&
    isId(p.score) &&
    typeof p.created_at === 'string' &&
    (p.image_hash === null || typeof p.image_hash === 'string')
  );
}

/** The event for a named SSE message, or null when its data is not what API.md says. */
export function parseLiveEvent(type: string, data: string): LiveEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return null;
  }
  const body = value as Record<string, unknown> | null;
  if (!body || typeof body !== 'object') {
    return null;
  }
  switch (type) {
    case 'post':
      if (!isPost(body)) {
        return null;
      }
      return {
        type,
        post: {
          ...body,
          image_width: body.image_width ?? null,
          image_height: body.image_height ?? null,
        },
      };
    case 'score':
      return isId(body['id']) && isId(body['score'])
        ? { type, id: body['id'], score: body['score'] }
        : null;
    case 'delete':
      return isId(body['id']) ? { type, id: body['id'] } : null;
    case 'resync':
      return { type };
    default:
      return null;
  }
}

/**
 * The one live connection of the app: `GET /events` through the browser's EventSource.
 *
 * The browser reconnects by itself after a network error and sends `Last-Event-ID`, so the
 * server replays what was missed (or says `resync`). When the browser gives a connection up
 * (an HTTP error answer, say), this service opens a new one after a pause; that one cannot
 * resume, so it emits `resync` when it opens.
 */
@Injectable({ providedIn: 'root' })
export class LiveEvents {
  private readonly factory = inject(EVENT_SOURCE_FACTORY);
  private readonly url = `${environment.apiBaseUrl}/events`;
  private readonly subject = new Subject<LiveEvent>();
  private readonly statusSignal = signal<LiveStatus>(this.factory ? 'connecting' : 'offline');
  private source: EventSourceLike | null = null;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private failures = 0;
  private missedEvents = false;

  readonly status = this.statusSignal.asReadonly();
  readonly events: Observable<LiveEvent> = this.subject.asObservable();

  constructor() {
    inject(DestroyRef).onDestroy(() => this.disconnect());
  }

  /** Opens the connection unless it is open or opening already. */
  connect(): void {
    if (this.source || this.retryTimer !== undefined || !this.factory) {
      return;
    }
    this.open(this.factory);
  }

  disconnect(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.source?.close();
    this.source = null;
    this.statusSignal.set('offline');
  }

  private open(factory: EventSourceFactory): void {
    const source = factory(this.url);
    this.source = source;
    source.onopen = () => {
      this.failures = 0;
      this.statusSignal.set('live');
      if (this.missedEvents) {
        this.missedEvents = false;
        this.subject.next({ type: 'resync' });
      }
    };
    source.onerror = () => {
      if (this.source !== source) {
        return;
      }
      this.statusSignal.set('reconnecting');
      if (source.readyState !== CLOSED) {
        return; // the browser is reconnecting and will resume from Last-Event-ID
      }
      source.close();
      this.source = null;
      this.missedEvents = true;
      const delay = RECONNECT_DELAYS_MS[Math.min(this.failures++, RECONNECT_DELAYS_MS.length - 1)];
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.open(factory);
      }, delay);
    };
    for (const type of EVENT_TYPES) {
      source.addEventListener(type, (message: MessageEvent) => {
        if (this.source !== source) {
          return;
        }
        const event = parseLiveEvent(type, String(message.data));
        if (event) {
          this.subject.next(event);
        }
      });
    }
  }
}
