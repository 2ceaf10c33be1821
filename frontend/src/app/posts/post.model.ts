/** A post exactly as the API serialises it (see API.md, "Post (JSON)"). */
export interface Post {
  id: number;
  title: string;
  post: string;
  username: string;
  score: number;
  /** Lowercase hex SHA-256 of the image bytes, or null when the post has no image. */
  image_hash: string | null;
  /** The image's size in pixels as displayed (orientation applied); null without an image. */
  image_width: number | null;
  image_height: number | null;
  /** RFC 3339, UTC. */
  created_at: string;
}

/** The answer to `POST /post`: the post plus its delete token, shown only this once. */
export interface CreatedPost extends Post {
  /** Authorises `DELETE /post/{id}` (`Authorization: Bearer <token>`). */
  delete_token: string;
  /** `hidden`: the post waits for a moderator (the server's `PREMODERATE_IMAGES`). */
  state?: 'visible' | 'hidden';
}

/**
 * Board ordering: `hot` (score and age, the app's default), `new` (newest first, the API's
 * default) or `top` (by score).
 */
export type SortOrder = 'hot' | 'new' | 'top';

/** One page of the listing plus the URL of the next page (from the `Link: rel="next"` header). */
export interface PostPage {
  posts: Post[];
  next: string | null;
}

/** What the create form sends as multipart/form-data. */
export interface NewPost {
  title: string;
  post: string;
  username: string;
  file: File | null;
}

/** A vote is exactly one step up or down. */
export type VoteDelta = 1 | -1;
