import { HttpErrorResponse } from '@angular/common/http';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  computed,
  effect,
  inject,
  signal,
  untracked,
} from '@angular/core';
import { RouterLink } from '@angular/router';
import { Observable, Subscription, firstValueFrom, switchMap, timer } from 'rxjs';

import { userMessageFor } from '../../shared/http/api-error';
import { NotificationService } from '../../shared/notifications/notification.service';
import { BanDays, ModAction, QueuedPost } from '../moderation.model';
import { ModeratorApi } from '../moderator-api';
import { ModeratorSession } from '../moderator-session';
import { REPORT_REASONS } from '../report.model';

/** How often the queue is read again: reports and other moderators' actions show up. */
export const QUEUE_REFRESH_MS = 5000;

const ACTION_DONE: Record<ModAction, string> = {
  remove: 'Removed.',
  purge: 'Removed, and its image purged.',
  restore: 'Restored.',
  dismiss: 'Reports dismissed.',
};

/**
 * The moderators' page (`/mod`): the token once, then the queue, most reported first, read
 * again every few seconds, with one-click actions on each post. The reason typed for a post
 * (prefilled from its reports) goes into the public moderation log.
 */
@Component({
  selector: 'app-mod-page',
  imports: [RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './mod-page.html',
  styleUrl: './mod-page.css',
})
export class ModPage {
  protected readonly session = inject(ModeratorSession);
  private readonly moderation = inject(ModeratorApi);
  private readonly notifications = inject(NotificationService);

  protected readonly queue = signal<QueuedPost[] | null>(null);
  /** Posts with an action under way: their buttons wait. */
  protected readonly busy = signal<ReadonlySet<number>>(new Set());
  /** Reasons the moderator typed, by post. */
  private readonly reasons = signal<ReadonlyMap<number, string>>(new Map());
  /** The queued posts' images, fetched with the token, as object URLs by image hash. */
  protected readonly images = signal<ReadonlyMap<string, string>>(new Map());
  protected readonly waiting = computed(() => this.queue()?.length ?? 0);

  private polling: Subscription | null = null;

  constructor() {
    effect(() => {
      const token = this.session.token();
      untracked(() => this.follow(token));
    });
    inject(DestroyRef).onDestroy(() => {
      this.polling?.unsubscribe();
      this.forgetImages();
    });
  }

  protected signIn(event: Event, input: HTMLInputElement): void {
    event.preventDefault();
    this.session.signIn(input.value);
    input.value = '';
  }

  protected signOut(): void {
    this.session.signOut();
  }

  protected reasonFor(post: QueuedPost): string {
    return this.reasons().get(post.id) ?? defaultReason(post);
  }

  protected setReason(postId: number, event: Event): void {
    const value = (event.target as HTMLInputElement).value;
    this.reasons.update((reasons) => new Map(reasons).set(postId, value));
  }

  protected reasonsOf(post: QueuedPost): { label: string; count: number }[] {
    return Object.entries(post.reasons).map(([reason, count]) => ({
      label: REPORT_REASONS.find((r) => r.value === reason)?.label ?? reason,
      count,
    }));
  }

  protected isBusy(postId: number): boolean {
    return this.busy().has(postId);
  }

  protected async act(post: QueuedPost, action: ModAction): Promise<void> {
    await this.run(post, ACTION_DONE[action], (token, reason) =>
      this.moderation.act(token, post.id, action, reason),
    );
  }

  protected async ban(post: QueuedPost, days: BanDays): Promise<void> {
    const done = days === null ? 'Poster banned for good.' : `Poster banned for ${plural(days)}.`;
    await this.run(post, done, (token, reason) =>
      this.moderation.ban(token, post.id, days, reason),
    );
  }

  private async run(
    post: QueuedPost,
    done: string,
    call: (token: string, reason: string) => Observable<unknown>,
  ): Promise<void> {
    const token = this.session.token();
    if (!token || this.isBusy(post.id)) {
      return;
    }
    this.busy.update((busy) => new Set(busy).add(post.id));
    try {
      await firstValueFrom(call(token, this.reasonFor(post).trim()));
      this.notifications.success(done);
      this.refresh(token);
    } catch (error) {
      this.failed(error);
    } finally {
      this.busy.update((busy) => {
        const next = new Set(busy);
        next.delete(post.id);
        return next;
      });
    }
  }

  /** Reads the queue now and every few seconds while a token is set. */
  private follow(token: string | null): void {
    this.polling?.unsubscribe();
    this.queue.set(null);
    this.forgetImages();
    if (!token) {
      return;
    }
    this.polling = timer(0, QUEUE_REFRESH_MS)
      .pipe(switchMap(() => this.moderation.queue(token)))
      .subscribe({
        next: (queue) => this.show(token, queue),
        error: (error) => this.failed(error),
      });
  }

  private refresh(token: string): void {
    this.moderation.queue(token).subscribe({
      next: (queue) => this.show(token, queue),
      error: (error) => this.failed(error),
    });
  }

  /** Shows the queue, and fetches the images it shows for the first time. */
  private show(token: string, queue: QueuedPost[]): void {
    this.queue.set(queue);
    const wanted = new Set(queue.map((post) => post.image_hash).filter((h) => h !== null));
    for (const hash of wanted) {
      if (!this.images().has(hash)) {
        this.moderation.image(token, hash).subscribe({
          next: (blob) => {
            const url = URL.createObjectURL(blob);
            this.images.update((images) => new Map(images).set(hash, url));
          },
          // A purged or missing image: the post says it has one, without a picture.
          error: () => undefined,
        });
      }
    }
  }

  private forgetImages(): void {
    for (const url of this.images().values()) {
      URL.revokeObjectURL(url);
    }
    this.images.set(new Map());
  }

  /** A wrong or revoked token ends the session; other failures are shown and retried. */
  private failed(error: unknown): void {
    this.notifications.error(userMessageFor(error));
    if (error instanceof HttpErrorResponse && (error.status === 401 || error.status === 403)) {
      this.session.signOut();
    } else if (this.polling?.closed && this.session.token()) {
      // The queue's polling ended with the error: start it again shortly.
      this.polling = timer(QUEUE_REFRESH_MS).subscribe(() => this.follow(this.session.token()));
    }
  }
}

/** "Reported as spam" from the most frequent reason; a hidden post without reports: "Checked". */
export function defaultReason(post: QueuedPost): string {
  const [top] = Object.entries(post.reasons).sort((a, b) => b[1] - a[1]);
  if (!top) {
    return 'Checked by a moderator';
  }
  const label = REPORT_REASONS.find((r) => r.value === top[0])?.label ?? top[0];
  return `Reported: ${label.toLowerCase()}`;
}

function plural(days: number): string {
  return days === 1 ? '1 day' : `${days} days`;
}
