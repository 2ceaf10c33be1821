import { Post } from '../posts/post.model';

/** A post's state (API.md, "Moderation"). */
export type PostState = 'visible' | 'hidden' | 'removed';

/** A post in the moderators' queue (`GET /mod/queue`). */
export interface QueuedPost extends Post {
  state: PostState;
  /** Open reports in all. */
  reports: number;
  /** Open reports by reason (the API's reason names). */
  reasons: Record<string, number>;
  /** The reports' notes, oldest first. */
  notes: string[];
  /** A short opaque key of the poster's client; null for posts older than bans. */
  poster: string | null;
}

/** What a moderator can do to a post from the queue. */
export type ModAction = 'remove' | 'purge' | 'restore' | 'dismiss';

/** A ban's length: days, or null for good. */
export type BanDays = number | null;

/** One entry of the public moderation log (`GET /modlog`). */
export interface ModLogEntry {
  id: number;
  /** RFC 3339, UTC. */
  at: string;
  action: 'hide' | 'remove' | 'purge' | 'restore' | 'dismiss' | 'ban' | 'unban';
  post_id: number;
  reason: string;
  /** Null for a hide by reports. */
  moderator: string | null;
}

/** A page of the log and the URL of the older entries, if any. */
export interface ModLogPage {
  entries: ModLogEntry[];
  next: string | null;
}
