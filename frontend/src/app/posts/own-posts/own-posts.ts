import { Injectable } from '@angular/core';

import { persistentMap } from '../../shared/storage/persistent-map';

/** localStorage key of the delete tokens (versioned: a new shape gets a new key). */
export const DELETE_TOKENS_KEY = 'postboard.deleteTokens.v1';

/** A delete token as the API hands it out: URL-safe text, no spaces, of a sane length. */
function isToken(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_.~+/=-]{1,256}$/.test(value);
}

/**
 * The posts created in this browser: their delete tokens, which the API shows only once (in
 * the answer to `POST /post`). Kept in localStorage so the "Delete" button survives a reload.
 */
@Injectable({ providedIn: 'root' })
export class OwnPosts {
  private readonly tokens = persistentMap(DELETE_TOKENS_KEY, isToken);

  /** True when this browser holds the delete token of the post (reactive). */
  isOwn(id: number): boolean {
    return this.tokens.entries().has(id);
  }

  token(id: number): string | null {
    return this.tokens.get(id) ?? null;
  }

  remember(id: number, token: string): void {
    if (isToken(token)) {
      this.tokens.set(id, token);
    }
  }

  /** The post is gone (or the token is useless): drop its token. */
  forget(id: number): void {
    this.tokens.delete(id);
  }
}
