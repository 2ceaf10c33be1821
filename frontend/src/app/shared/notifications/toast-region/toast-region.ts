import { ChangeDetectionStrategy, Component, inject } from '@angular/core';

import { NotificationService } from '../notification.service';

/** Fixed region announcing notifications politely to assistive technology. */
@Component({
  selector: 'app-toast-region',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <div class="toasts" aria-live="polite">
      @for (note of notifications(); track note.id) {
        <div [class]="'toast toast--' + note.kind" data-testid="toast">
          <span class="toast__icon" aria-hidden="true">{{
            note.kind === 'error' ? '!' : note.kind === 'success' ? '✓' : 'i'
          }}</span>
          <p class="toast__message">{{ note.message }}</p>
          <button
            type="button"
            class="toast__close"
            aria-label="Dismiss notification"
            (click)="dismiss(note.id)"
          >
            ×
          </button>
        </div>
      }
    </div>
  `,
  styleUrl: './toast-region.css',
})
export class ToastRegion {
  private readonly notificationService = inject(NotificationService);
  protected readonly notifications = this.notificationService.notifications;

  protected dismiss(id: number): void {
    this.notificationService.dismiss(id);
  }
}
