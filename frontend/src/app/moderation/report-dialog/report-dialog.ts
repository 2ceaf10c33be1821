import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  afterNextRender,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';

import { userMessageFor } from '../../shared/http/api-error';
import { NotificationService } from '../../shared/notifications/notification.service';
import { ModerationService } from '../moderation.service';
import { REPORT_NOTE_MAX, REPORT_REASONS, ReportReason } from '../report.model';

/**
 * "Report this post": a modal dialog (the native `<dialog>`, so focus stays inside it and
 * Escape closes it) with the reasons and an optional note. Sent, it thanks the reader with a
 * toast and closes; refused, it says why and stays open.
 */
@Component({
  selector: 'app-report-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './report-dialog.html',
  styleUrl: './report-dialog.css',
})
export class ReportDialog {
  private readonly moderation = inject(ModerationService);
  private readonly notifications = inject(NotificationService);
  private readonly dialog = viewChild.required<ElementRef<HTMLDialogElement>>('dialog');

  readonly postId = input.required<number>();
  readonly postTitle = input.required<string>();
  /** The dialog closed, sent or not. */
  readonly closed = output<void>();

  protected readonly reasons = REPORT_REASONS;
  protected readonly noteMax = REPORT_NOTE_MAX;
  protected readonly reason = signal<ReportReason | null>(null);
  protected readonly note = signal('');
  protected readonly sending = signal(false);
  protected readonly error = signal<string | null>(null);

  constructor() {
    afterNextRender(() => this.dialog().nativeElement.showModal());
  }

  protected choose(reason: ReportReason): void {
    this.reason.set(reason);
    this.error.set(null);
  }

  protected send(event: Event): void {
    event.preventDefault();
    const reason = this.reason();
    if (this.sending()) {
      return;
    }
    if (reason === null) {
      this.error.set('Choose a reason.');
      return;
    }
    this.sending.set(true);
    this.error.set(null);
    this.moderation.report(this.postId(), { reason, note: this.note() }).subscribe({
      next: () => {
        this.notifications.success('Thank you. A moderator will look at this post.');
        this.close();
      },
      error: (error: unknown) => {
        this.sending.set(false);
        this.error.set(userMessageFor(error));
      },
    });
  }

  protected close(): void {
    const dialog = this.dialog().nativeElement;
    if (dialog.open) {
      dialog.close();
    }
    this.closed.emit();
  }
}
