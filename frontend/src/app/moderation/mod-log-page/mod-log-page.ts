import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { RouterLink } from '@angular/router';

import { userMessageFor } from '../../shared/http/api-error';
import { Clock } from '../../shared/time/clock';
import { RelativeTimePipe } from '../../shared/time/relative-time.pipe';
import { ModLogEntry } from '../moderation.model';
import { ModeratorApi } from '../moderator-api';

const ACTION_LABELS: Record<ModLogEntry['action'], string> = {
  hide: 'Hidden by reports',
  remove: 'Removed',
  purge: 'Removed, image purged',
  restore: 'Restored',
  dismiss: 'Reports dismissed',
  ban: 'Poster banned',
  unban: 'Ban lifted',
};

/** The public moderation log (`/modlog`): every action, newest first, with its reason. */
@Component({
  selector: 'app-mod-log-page',
  imports: [RelativeTimePipe, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './mod-log-page.html',
  styleUrl: './mod-log-page.css',
})
export class ModLogPage {
  private readonly moderation = inject(ModeratorApi);
  protected readonly clock = inject(Clock);

  protected readonly entries = signal<ModLogEntry[]>([]);
  protected readonly next = signal<string | null>(null);
  protected readonly loading = signal(true);
  protected readonly error = signal<string | null>(null);

  constructor() {
    this.load();
  }

  protected actionLabel(entry: ModLogEntry): string {
    return ACTION_LABELS[entry.action] ?? entry.action;
  }

  /** The first page, or the older entries after what is shown. */
  protected load(url?: string): void {
    this.loading.set(true);
    this.error.set(null);
    this.moderation.modLog(url).subscribe({
      next: (page) => {
        this.entries.update((entries) => (url ? [...entries, ...page.entries] : page.entries));
        this.next.set(page.next);
        this.loading.set(false);
      },
      error: (error) => {
        this.error.set(userMessageFor(error));
        this.loading.set(false);
      },
    });
  }
}
