import { DOCUMENT } from '@angular/common';
import { HttpClient, HttpHeaders, HttpResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable, map } from 'rxjs';

import { environment } from '../../environments/environment';
import { parseNextLink, resolveLink } from '../shared/http/link-header';
import {
  BanDays,
  ModAction,
  ModLogEntry,
  ModLogPage,
  PostState,
  QueuedPost,
} from './moderation.model';

/**
 * The moderators' routes of the API and the public log (API.md, "Moderation"). Apart from the
 * readers' `ModerationService` (reports), so that only the moderation pages, loaded when
 * opened, carry it.
 */
@Injectable({ providedIn: 'root' })
export class ModeratorApi {
  private readonly http = inject(HttpClient);
  private readonly document = inject(DOCUMENT);
  private readonly base = environment.apiBaseUrl;

  /** The queue: reported or hidden posts, most reported first. */
  queue(token: string): Observable<QueuedPost[]> {
    return this.http.get<QueuedPost[]>(`${this.base}/mod/queue`, { headers: bearer(token) });
  }

  /** Does `action` to a post (a purge is a removal that also purges its image). */
  act(token: string, postId: number, action: ModAction, reason: string): Observable<PostState> {
    const route = action === 'purge' ? 'remove' : action;
    const body = action === 'purge' ? { reason, purge_image: true } : { reason };
    return this.http
      .post<{ state: PostState }>(`${this.base}/mod/post/${postId}/${route}`, body, {
        headers: bearer(token),
      })
      .pipe(map((result) => result.state));
  }

  /** Bans the client that made the post, by its address, for `days` (null: for good). */
  ban(token: string, postId: number, days: BanDays, reason: string): Observable<void> {
    return this.http
      .post(
        `${this.base}/mod/ban`,
        { post_id: postId, scope: 'address', days, reason },
        { headers: bearer(token) },
      )
      .pipe(map(() => undefined));
  }

  /**
   * A post's image whatever its state (a hidden or waiting post's too), `width` wide: fetched
   * with the token, so the page shows it from memory (an `<img>` can't send the header).
   */
  image(token: string, hash: string, width = 320): Observable<Blob> {
    return this.http.get(`${this.base}/mod/image/${hash}`, {
      headers: bearer(token),
      params: { width },
      responseType: 'blob',
    });
  }

  /** The public moderation log, newest first: its first page, or the page `url` names. */
  modLog(url = `${this.base}/modlog`): Observable<ModLogPage> {
    return this.http.get<ModLogEntry[]>(url, { observe: 'response' }).pipe(
      map((response: HttpResponse<ModLogEntry[]>) => {
        const link = parseNextLink(response.headers.get('Link'));
        const pageUrl = this.document.location?.href || 'http://localhost/';
        return {
          entries: response.body ?? [],
          next: link ? resolveLink(link, response.url ?? url, pageUrl) : null,
        };
      }),
    );
  }
}

function bearer(token: string): HttpHeaders {
  return new HttpHeaders({ Authorization: `Bearer ${token}` });
}
