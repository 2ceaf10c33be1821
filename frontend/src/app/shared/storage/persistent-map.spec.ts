import { TestBed } from '@angular/core/testing';

import { BROWSER_STORAGE, PersistentMap, persistentMap } from './persistent-map';
import { MemoryStorage } from './testing';

const isNumber = (v: unknown): v is number => typeof v === 'number';

describe('persistentMap', () => {
  let storage: MemoryStorage;

  function create(provided: Storage | null = storage): PersistentMap<number> {
    TestBed.resetTestingModule();
    TestBed.configureTestingModule({
      providers: [{ provide: BROWSER_STORAGE, useValue: provided }],
    });
    return TestBed.runInInjectionContext(() => persistentMap('test.key', isNumber));
  }

  beforeEach(() => {
    storage = new MemoryStorage();
  });

  it('keeps entries as one JSON object and reads them back on the next page load', () => {
    const map = create();
    map.set(42, 1);
    map.set(7, -1);
    expect(JSON.parse(storage.getItem('test.key')!)).toEqual({ '7': -1, '42': 1 });
    const again = create();
    expect(again.get(42)).toBe(1);
    expect([...again.entries().keys()].sort((a, b) => a - b)).toEqual([7, 42]);
    again.delete(42);
    again.delete(7);
    expect(storage.getItem('test.key')).toBeNull();
  });

  it('drops damaged data instead of failing', () => {
    storage.setItem('test.key', '{not json');
    expect(create().entries().size).toBe(0);
    storage.setItem('test.key', '[1,2]');
    expect(create().entries().size).toBe(0);
    storage.setItem('test.key', '{"1": 5, "2": "x", "abc": 3, "-4": 1, "3.5": 1}');
    expect([...create().entries()]).toEqual([[1, 5]]);
  });

  it('works in memory when storage is missing or full', () => {
    const none = create(null);
    none.set(1, 3);
    expect(none.get(1)).toBe(3);
    storage.failWrites = true;
    const full = create();
    full.set(2, 4);
    expect(full.get(2)).toBe(4);
    expect(storage.getItem('test.key')).toBeNull();
  });

  it("takes other tabs' changes from the storage event", () => {
    const map = create(localStorage);
    localStorage.setItem('test.key', '{"9": 2}');
    window.dispatchEvent(
      new StorageEvent('storage', { key: 'test.key', storageArea: localStorage }),
    );
    expect(map.get(9)).toBe(2);
    localStorage.setItem('test.key', '{"9": 3}');
    window.dispatchEvent(new StorageEvent('storage', { key: 'other', storageArea: localStorage }));
    expect(map.get(9)).toBe(2);
    localStorage.clear();
  });
});
