import { HttpClient } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { Observable } from 'rxjs';

import { environment } from '../../environments/environment';
import { NewReport } from './report.model';

/** The moderation routes of the API (API.md, "Moderation"). */
@Injectable({ providedIn: 'root' })
export class ModerationService {
  private readonly http = inject(HttpClient);
  private readonly base = environment.apiBaseUrl;

  /** Reports a post to the moderators: 202, no body. A blank note is left out. */
  report(postId: number, report: NewReport): Observable<void> {
    const note = report.note.trim();
    const body = note ? { reason: report.reason, note } : { reason: report.reason };
    return this.http.post<void>(`${this.base}/post/${postId}/report`, body);
  }
}
