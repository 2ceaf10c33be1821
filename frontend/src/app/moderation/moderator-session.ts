import { DOCUMENT } from '@angular/common';
import { Injectable, inject, signal } from '@angular/core';

/** sessionStorage key of the moderator's token. */
export const MODERATOR_TOKEN_KEY = 'postboard.moderator-token.v1';

/**
 * The moderator's token, entered once on the moderation page and kept in this tab only
 * (sessionStorage: it leaves with the tab, and other tabs and sites never see it).
 */
@Injectable({ providedIn: 'root' })
export class ModeratorSession {
  private readonly storage = sessionStorageOf(inject(DOCUMENT));
  private readonly state = signal<string | null>(this.read());

  readonly token = this.state.asReadonly();

  signIn(token: string): void {
    const trimmed = token.trim();
    this.state.set(trimmed || null);
    try {
      if (trimmed) {
        this.storage?.setItem(MODERATOR_TOKEN_KEY, trimmed);
      }
    } catch {
      // Storage blocked: the token holds for this page.
    }
  }

  signOut(): void {
    this.state.set(null);
    try {
      this.storage?.removeItem(MODERATOR_TOKEN_KEY);
    } catch {
      // Nothing kept.
    }
  }

  private read(): string | null {
    try {
      return this.storage?.getItem(MODERATOR_TOKEN_KEY) || null;
    } catch {
      return null;
    }
  }
}

function sessionStorageOf(document: Document): Storage | null {
  try {
    return document.defaultView?.sessionStorage ?? null;
  } catch {
    return null;
  }
}
