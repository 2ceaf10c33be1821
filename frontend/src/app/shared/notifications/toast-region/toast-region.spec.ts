import { TestBed } from '@angular/core/testing';

import { NotificationService } from '../notification.service';
import { ToastRegion } from './toast-region';

describe('ToastRegion', () => {
  it('announces messages in a polite live region and can dismiss them', async () => {
    const fixture = TestBed.createComponent(ToastRegion);
    const service = TestBed.inject(NotificationService);
    const el = fixture.nativeElement as HTMLElement;
    await fixture.whenStable();

    const region = el.querySelector('[aria-live="polite"]');
    expect(region).not.toBeNull();
    expect(region?.children.length).toBe(0);

    service.error('Title must be at most 100 characters.');
    await fixture.whenStable();
    const toast = el.querySelector('[data-testid="toast"]');
    expect(toast?.textContent).toContain('Title must be at most 100 characters.');
    expect(toast?.className).toContain('toast--error');

    el.querySelector<HTMLButtonElement>('button[aria-label="Dismiss notification"]')?.click();
    await fixture.whenStable();
    expect(el.querySelector('[data-testid="toast"]')).toBeNull();
  });
});
