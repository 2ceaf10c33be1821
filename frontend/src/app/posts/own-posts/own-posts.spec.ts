import { TestBed } from '@angular/core/testing';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
import { DELETE_TOKENS_KEY, OwnPosts } from './own-posts';

describe('OwnPosts', () => {
  const token = 'dGhpcy1pcy1hLTQzLWNoYXJhY3Rlci10b2tlbi14eHh4eA';
  let storage: MemoryStorage;

  function service(): OwnPosts {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [{ provide: BROWSER_STORAGE, useValue: storage }],
    });
    return TestBed.inject(OwnPosts);
  }

  beforeEach(() => (storage = new MemoryStorage()));

  it('remembers delete tokens across page loads and forgets them', () => {
    const own = service();
    expect(own.isOwn(5)).toBe(false);
    own.remember(5, token);
    expect(own.isOwn(5)).toBe(true);
    expect(own.token(5)).toBe(token);
    expect(storage.getItem(DELETE_TOKENS_KEY)).toContain(token);

    const later = service();
    expect(later.token(5)).toBe(token);
    later.forget(5);
    expect(later.isOwn(5)).toBe(false);
    expect(later.token(5)).toBeNull();
  });

  it('refuses values that cannot be a token', () => {
    const own = service();
    own.remember(1, '');
    own.remember(2, 'has space');
    expect(own.isOwn(1) || own.isOwn(2)).toBe(false);
    storage.setItem(DELETE_TOKENS_KEY, JSON.stringify({ 3: 12, 4: token }));
    const reread = service();
    expect(reread.isOwn(3)).toBe(false);
    expect(reread.token(4)).toBe(token);
  });
});
