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

/** Board ordering: newest first (API default) or by score (`?sort=top`). */
export type SortOrder = 'new' | 'top';

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
