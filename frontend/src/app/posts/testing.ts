import { Post } from './post.model';

/** A post for tests; override what matters. */
export function makePost(overrides: Partial<Post> = {}): Post {
  const id = overrides.id ?? 1;
  return {
    id,
    title: `Post ${id}`,
    post: `Body ${id}`,
    username: 'anonymous',
    score: 0,
    image_hash: null,
    image_width: null,
    image_height: null,
    created_at: new Date(Date.UTC(2026, 10, 26, 18, 0, id)).toISOString(),
    ...overrides,
  };
}

/** Every call of PostService, as mocks: what the store, the board and the post page use. */
export type FakePostService = Record<
  'list' | 'search' | 'get' | 'page' | 'create' | 'vote' | 'delete',
  ReturnType<typeof vi.fn>
>;

export function fakePostService(): FakePostService {
  return {
    list: vi.fn(),
    search: vi.fn(),
    get: vi.fn(),
    page: vi.fn(),
    create: vi.fn(),
    vote: vi.fn(),
    delete: vi.fn(),
  };
}
