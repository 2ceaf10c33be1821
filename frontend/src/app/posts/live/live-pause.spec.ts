import { TestBed } from '@angular/core/testing';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';
import { MemoryStorage } from '../../shared/storage/testing';
import { LIVE_PAUSED_KEY, LivePause } from './live-pause';

describe('LivePause', () => {
  function pauseOn(storage: Storage | null): LivePause {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [{ provide: BROWSER_STORAGE, useValue: storage }],
    });
    return TestBed.inject(LivePause);
  }

  it('is off at first and remembered once set', () => {
    const storage = new MemoryStorage();
    const pause = pauseOn(storage);
    expect(pause.paused()).toBe(false);
    pause.set(true);
    expect(storage.getItem(LIVE_PAUSED_KEY)).toBe('true');
    expect(pauseOn(storage).paused()).toBe(true);
    pauseOn(storage).set(false);
    expect(storage.getItem(LIVE_PAUSED_KEY)).toBeNull();
  });

  it('works for the page without storage', () => {
    const pause = pauseOn(null);
    pause.set(true);
    expect(pause.paused()).toBe(true);
  });
});
