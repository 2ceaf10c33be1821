import { DOCUMENT } from '@angular/common';
import { HttpClient, HttpHeaders, HttpParams, HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';

import { environment } from '../../environments/environment';
import { parseNextLink, resolveLink } from '../shared/http/link-header';
import { CreatedPost, NewPost, Post, PostPage, SortOrder, VoteDelta } from './post.model';

/** Every HTTP call of the app goes through this service. */
@Injectable({ providedIn: 'root' })
export class PostService {
  private readonly http = inject(HttpClient);
  private readonly document = inject(DOCUMENT);
  private readonly base = environment.apiBaseUrl;

  /** URL of the listing endpoint. */
  readonly postsUrl = `${this.base}/post`;
  /** URL of the vote endpoint. */
  readonly voteUrl = `${this.base}/update-post-score`;

  /** First page of the board in the given order. */
  list(sort: SortOrder, limit: number = environment.pageSize): Observable<PostPage> {
    let params = new HttpParams().set('limit', limit);
    // `new` is the API's default; the others are asked for by name.
    if (sort !== 'new') {
      params = params.set('sort', sort);
    }
    return this.http
      .get<Post[]>(this.postsUrl, { params, observe: 'response' })
      .pipe(map((response) => this.toPage(response, this.postsUrl)));
  }

  /** One post (404 when it does not exist or was deleted). */
  get(postId: number): Observable<Post> {
    return this.http.get<Post>(`${this.postsUrl}/${postId}`);
  }

  /** First page of the posts matching `query`, best match first (API.md, "Search"). */
  search(query: string, limit: number = environment.pageSize): Observable<PostPage> {
    const params = new HttpParams().set('q', query).set('limit', limit);
    return this.http
      .get<Post[]>(this.postsUrl, { params, observe: 'response' })
      .pipe(map((response) => this.toPage(response, this.postsUrl)));
  }

  /** The page a previous `PostPage.next` points to (relative or absolute URL). */
  page(url: string): Observable<PostPage> {
    return this.http
      .get<Post[]>(url, { observe: 'response' })
      .pipe(map((response) => this.toPage(response, url)));
  }

  /**
   * Creates a post; sent as multipart/form-data (`title`, `post`, `username`, `file`). The
   * answer carries the post's delete token.
   */
  create(input: NewPost): Observable<CreatedPost> {
    const body = new FormData();
    body.append('title', input.title);
    body.append('post', input.post);
    body.append('username', input.username);
    if (input.file) {
      body.append('file', input.file, input.file.name);
    }
    return this.http.post<CreatedPost>(this.postsUrl, body);
  }

  /** Moves a post's score by one; answers the updated post. */
  vote(postId: number, delta: VoteDelta): Observable<Post> {
    return this.http.post<Post>(this.voteUrl, { post_id: postId, score_increase: delta });
  }

  /** Deletes a post with the token its creation answered; 204, no body. */
  delete(postId: number, token: string): Observable<void> {
    return this.http.delete<void>(`${this.postsUrl}/${postId}`, {
      headers: new HttpHeaders({ Authorization: `Bearer ${token}` }),
    });
  }

  private toPage(response: HttpResponse<Post[]>, requestUrl: string): PostPage {
    const link = parseNextLink(response.headers.get('Link'));
    const pageUrl = this.document.location?.href || 'http://localhost/';
    return {
      posts: response.body ?? [],
      next: link ? resolveLink(link, response.url ?? requestUrl, pageUrl) : null,
    };
  }
}
