import { Injectable, inject, signal } from '@angular/core';

import { BROWSER_STORAGE } from '../../shared/storage/persistent-map';

/** localStorage key of the reader's choice to pause live updates. */
export const LIVE_PAUSED_KEY = 'postboard.live-paused.v1';

/**
 * The reader's "Pause live updates" (WCAG 2.2 SC 2.2.2: content that updates by itself can be
 * paused), remembered in this browser. The store holds back every live change while it is on.
 */
@Injectable({ providedIn: 'root' })
export class LivePause {
  private readonly storage = inject(BROWSER_STORAGE);
  private readonly state = signal(this.read());

  readonly paused = this.state.asReadonly();

  set(paused: boolean): void {
    this.state.set(paused);
    try {
      if (paused) {
        this.storage?.setItem(LIVE_PAUSED_KEY, 'true');
      } else {
        this.storage?.removeItem(LIVE_PAUSED_KEY);
      }
    } catch {
      // Storage blocked or full: the choice holds for this page.
    }
  }

  private read(): boolean {
    try {
      return this.storage?.getItem(LIVE_PAUSED_KEY) === 'true';
    } catch {
      return false;
    }
  }
}
