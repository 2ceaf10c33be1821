import { DOCUMENT } from '@angular/common';
import { DestroyRef, InjectionToken, Signal, inject, signal } from '@angular/core';

/** The browser's localStorage, or null where it is unavailable (blocked by settings, say). */
export const BROWSER_STORAGE = new InjectionToken<Storage | null>('BROWSER_STORAGE', {
  providedIn: 'root',
  factory: () => {
    try {
      return inject(DOCUMENT).defaultView?.localStorage ?? null;
    } catch {
      // Reading `localStorage` itself throws when the browser blocks site data.
      return null;
    }
  },
});

/** A map from post id to a value, readable as a signal, that this browser keeps. */
export interface PersistentMap<V> {
  /** Every entry; a new map after each change. */
  readonly entries: Signal<ReadonlyMap<number, V>>;
  get(id: number): V | undefined;
  set(id: number, value: V): void;
  delete(id: number): void;
}

/**
 * A `PersistentMap` kept as one JSON object (`{"42": value}`) in localStorage under `key`.
 * Entries that fail `isValue` are dropped when read, so a damaged or foreign value never
 * reaches the app. Changes made in another tab arrive through the `storage` event. Without
 * storage (blocked, full) it still works, in memory, for this page's lifetime.
 *
 * Call it in an injection context (a field initialiser of a service).
 */
export function persistentMap<V>(
  key: string,
  isValue: (value: unknown) => value is V,
): PersistentMap<V> {
  const storage = inject(BROWSER_STORAGE);
  const view = inject(DOCUMENT).defaultView;

  const read = (): ReadonlyMap<number, V> => {
    const map = new Map<number, V>();
    let raw: string | null;
    try {
      raw = storage?.getItem(key) ?? null;
    } catch {
      return map;
    }
    if (!raw) {
      return map;
    }
    try {
      const parsed: unknown = JSON.parse(raw);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [id, value] of Object.entries(parsed)) {
          const n = Number(id);
          if (Number.isSafeInteger(n) && n > 0 && isValue(value)) {
            map.set(n, value);
          }
        }
      }
    } catch {
      // Not JSON: start afresh rather than fail.
    }
    return map;
  };

  const entries = signal(read());

  const write = (next: Map<number, V>): void => {
    entries.set(next);
    try {
      if (next.size === 0) {
        storage?.removeItem(key);
      } else {
        storage?.setItem(key, JSON.stringify(Object.fromEntries(next)));
      }
    } catch {
      // Quota exceeded or storage gone: keep the in-memory value.
    }
  };

  if (view && storage) {
    const onStorage = (event: StorageEvent) => {
      if (event.storageArea === storage && (event.key === key || event.key === null)) {
        entries.set(read());
      }
    };
    view.addEventListener('storage', onStorage);
    inject(DestroyRef).onDestroy(() => view.removeEventListener('storage', onStorage));
  }

  return {
    entries: entries.asReadonly(),
    get: (id) => entries().get(id),
    set: (id, value) => {
      const next = new Map(entries());
      next.set(id, value);
      write(next);
    },
    delete: (id) => {
      if (entries().has(id)) {
        const next = new Map(entries());
        next.delete(id);
        write(next);
      }
    },
  };
}
