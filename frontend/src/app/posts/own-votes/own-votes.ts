import { Injectable } from '@angular/core';

import { persistentMap } from '../../shared/storage/persistent-map';
import { VoteDelta } from '../post.model';

/** localStorage key of the votes given in this browser. */
export const VOTES_KEY = 'postboard.votes.v1';

/** The vote this browser holds on a post: up, down, or none. */
export type OwnVote = VoteDelta | 0;

function isVote(value: unknown): value is VoteDelta {
  return value === 1 || value === -1;
}

/**
 * The votes the server has counted from this browser, one per post at most, kept in
 * localStorage so the pressed arrow stays pressed after a reload.
 */
@Injectable({ providedIn: 'root' })
export class OwnVotes {
  private readonly votes = persistentMap(VOTES_KEY, isVote);

  /** The counted vote on a post, 0 for none (reactive). */
  of(id: number): OwnVote {
    return this.votes.entries().get(id) ?? 0;
  }

  set(id: number, vote: OwnVote): void {
    if (vote === 0) {
      this.votes.delete(id);
    } else {
      this.votes.set(id, vote);
    }
  }

  forget(id: number): void {
    this.votes.delete(id);
  }
}
