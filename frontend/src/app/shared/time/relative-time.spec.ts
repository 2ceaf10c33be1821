import { relativeTime } from './relative-time';

describe('relativeTime', () => {
  const now = Date.parse('2026-11-26T18:00:00Z');

  it('formats recent and older times', () => {
    expect(relativeTime('2026-11-26T17:59:50Z', now)).toBe('just now');
    expect(relativeTime('2026-11-26T17:55:00Z', now)).toBe('5 minutes ago');
    expect(relativeTime('2026-11-26T15:00:00.123456Z', now)).toBe('3 hours ago');
    expect(relativeTime('2026-11-25T18:00:00Z', now)).toBe('yesterday');
    expect(relativeTime('2026-11-05T18:00:00Z', now)).toBe('3 weeks ago');
    expect(relativeTime('2025-11-26T18:00:00Z', now)).toBe('last year');
  });

  it('returns an empty string for an invalid date', () => {
    expect(relativeTime('not a date', now)).toBe('');
  });
});
