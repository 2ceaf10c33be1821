import { TestBed } from '@angular/core/testing';

import { Post } from '../post.model';
import { makePost } from '../testing';
import {
  EVENT_SOURCE_FACTORY,
  LiveEvent,
  LiveEvents,
  RECONNECT_DELAYS_MS,
  parseLiveEvent,
} from './live-events';
import { FakeEventSource } from './testing';

describe('LiveEvents', () => {
  let live: LiveEvents;
  let received: LiveEvent[];

  beforeEach(() => {
    vi.useFakeTimers();
    FakeEventSource.instances = [];
    TestBed.configureTestingModule({
      providers: [{ provide: EVENT_SOURCE_FACTORY, useValue: FakeEventSource.factory }],
    });
    live = TestBed.inject(LiveEvents);
    received = [];
    live.events.subscribe((e) => received.push(e));
  });

  afterEach(() => vi.useRealTimers());

  it('opens one EventSource on /events and reports when it is live', () => {
    expect(live.status()).toBe('connecting');
    live.connect();
    live.connect();
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(FakeEventSource.latest.url).toBe('/events');
    FakeEventSource.latest.open();
    expect(live.status()).toBe('live');
  });

  it('passes the named events on, parsed', () => {
    live.connect();
    const source = FakeEventSource.latest;
    source.open();
    const post = makePost({ id: 9, title: 'Hi' });
    source.emit('post', post);
    source.emit('score', { id: 9, score: -3 });
    source.emit('delete', { id: 9 });
    source.emit('resync', {});
    expect(received).toEqual([
      { type: 'post', post },
      { type: 'score', id: 9, score: -3 },
      { type: 'delete', id: 9 },
      { type: 'resync' },
    ]);
  });

  it('ignores events whose data is not what the contract says', () => {
    live.connect();
    const source = FakeEventSource.latest;
    source.emit('score', 'not json');
    source.emit('score', { id: '9', score: 1 });
    source.emit('delete', {});
    source.emit('post', { id: 1, title: 'no body' });
    expect(received).toEqual([]);
  });

  it('lets the browser reconnect by itself (Last-Event-ID), without a resync', () => {
    live.connect();
    const source = FakeEventSource.latest;
    source.open();
    source.fail(false);
    expect(live.status()).toBe('reconnecting');
    source.open();
    expect(live.status()).toBe('live');
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(received).toEqual([]);
  });

  it('opens a new connection after a pause when the browser gives up, then resyncs', () => {
    live.connect();
    const first = FakeEventSource.latest;
    first.open();
    first.fail(true);
    expect(first.closed).toBe(true);
    expect(live.status()).toBe('reconnecting');
    vi.advanceTimersByTime(RECONNECT_DELAYS_MS[0] - 1);
    expect(FakeEventSource.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    const second = FakeEventSource.latest;
    expect(second).not.toBe(first);
    // It fails too: the next pause is longer.
    second.fail(true);
    vi.advanceTimersByTime(RECONNECT_DELAYS_MS[1] - 1);
    expect(FakeEventSource.instances).toHaveLength(2);
    vi.advanceTimersByTime(1);
    FakeEventSource.latest.open();
    expect(live.status()).toBe('live');
    expect(received).toEqual([{ type: 'resync' }]);
    // Events of the abandoned connection are not passed on.
    first.emit('delete', { id: 1 });
    expect(received).toHaveLength(1);
  });

  it('is offline where the browser has no EventSource', () => {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [{ provide: EVENT_SOURCE_FACTORY, useValue: null }],
    });
    const none = TestBed.inject(LiveEvents);
    none.connect();
    expect(none.status()).toBe('offline');
  });
});

describe('parseLiveEvent', () => {
  it('fills image sizes an older server leaves out', () => {
    const old: Partial<Post> = makePost({ id: 2 });
    delete old.image_width;
    delete old.image_height;
    expect(parseLiveEvent('post', JSON.stringify(old))).toEqual({
      type: 'post',
      post: { ...old, image_width: null, image_height: null },
    });
  });

  it('knows no other event types', () => {
    expect(parseLiveEvent('message', '{}')).toBeNull();
  });
});
