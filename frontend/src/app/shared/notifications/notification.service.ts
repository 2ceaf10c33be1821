import { Injectable, signal } from '@angular/core';

export type NotificationKind = 'error' | 'success' | 'info';

export interface Notification {
  id: number;
  kind: NotificationKind;
  message: string;
}

/** Short-lived messages shown in the toast region (announced through aria-live). */
@Injectable({ providedIn: 'root' })
export class NotificationService {
  /** How long a toast stays, in milliseconds. Errors stay longer. */
  static readonly durations: Record<NotificationKind, number> = {
    error: 8000,
    success: 4000,
    info: 5000,
  };

  private readonly items = signal<Notification[]>([]);
  private nextId = 1;

  readonly notifications = this.items.asReadonly();

  show(message: string, kind: NotificationKind = 'info'): number {
    const id = this.nextId++;
    // Replace an identical message still on screen instead of stacking duplicates.
    this.items.update((list) => [
      ...list.filter((n) => !(n.message === message && n.kind === kind)).slice(-3),
      { id, kind, message },
    ]);
    setTimeout(() => this.dismiss(id), NotificationService.durations[kind]);
    return id;
  }

  error(message: string): number {
    return this.show(message, 'error');
  }

  success(message: string): number {
    return this.show(message, 'success');
  }

  dismiss(id: number): void {
    this.items.update((list) => list.filter((n) => n.id !== id));
  }
}
