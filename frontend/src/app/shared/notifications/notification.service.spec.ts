import { TestBed } from '@angular/core/testing';

import { NotificationService } from './notification.service';

describe('NotificationService', () => {
  let service: NotificationService;

  beforeEach(() => {
    vi.useFakeTimers();
    service = TestBed.inject(NotificationService);
  });

  afterEach(() => vi.useRealTimers());

  it('shows, dismisses and expires notifications', () => {
    const id = service.error('Nope.');
    service.success('Yes.');
    expect(service.notifications().map((n) => [n.kind, n.message])).toEqual([
      ['error', 'Nope.'],
      ['success', 'Yes.'],
    ]);
    service.dismiss(id);
    expect(service.notifications().map((n) => n.message)).toEqual(['Yes.']);
    vi.advanceTimersByTime(NotificationService.durations.success + 1);
    expect(service.notifications()).toEqual([]);
  });

  it('does not stack the same message twice', () => {
    service.error('Same.');
    service.error('Same.');
    expect(service.notifications()).toHaveLength(1);
  });
});
