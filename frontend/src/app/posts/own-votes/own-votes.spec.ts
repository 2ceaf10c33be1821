import { TestBed } from '@angular/core/testing';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
import { OwnVotes, VOTES_KEY } from './own-votes';

describe('OwnVotes', () => {
  let storage: MemoryStorage;

  function service(): OwnVotes {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [{ provide: BROWSER_STORAGE, useValue: storage }],
    });
    return TestBed.inject(OwnVotes);
  }

  beforeEach(() => (storage = new MemoryStorage()));

  it('keeps one vote per post across page loads; 0 removes it', () => {
    const votes = service();
    expect(votes.of(1)).toBe(0);
    votes.set(1, 1);
    votes.set(2, -1);
    expect(JSON.parse(storage.getItem(VOTES_KEY)!)).toEqual({ '1': 1, '2': -1 });
    const later = service();
    expect([later.of(1), later.of(2)]).toEqual([1, -1]);
    later.set(1, 0);
    later.forget(2);
    expect([later.of(1), later.of(2)]).toEqual([0, 0]);
    expect(storage.getItem(VOTES_KEY)).toBeNull();
  });

  it('ignores stored values that are not a vote', () => {
    storage.setItem(VOTES_KEY, JSON.stringify({ 1: 2, 2: '1', 3: -1 }));
    const votes = service();
    expect([votes.of(1), votes.of(2), votes.of(3)]).toEqual([0, 0, -1]);
  });
});
