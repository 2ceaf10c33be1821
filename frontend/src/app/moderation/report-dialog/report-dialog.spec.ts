import { HttpErrorResponse } from '@angular/common/http';
import { ComponentFixture, TestBed } from '@angular/core/testing';
import { of, throwError } from 'rxjs';

import { NotificationService } from '../../shared/notifications/notification.service';
import { ModerationService } from '../moderation.service';
import { ReportDialog } from './report-dialog';

describe('ReportDialog', () => {
  let fixture: ComponentFixture<ReportDialog>;
  let report: ReturnType<typeof vi.fn>;
  let closed: number;
  let notifications: NotificationService;

  // jsdom has the element but not its modal behaviour: open and close it by the attribute.
  beforeAll(() => {
    HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
      this.setAttribute('open', '');
    };
    HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
      this.removeAttribute('open');
    };
  });

  beforeEach(async () => {
    report = vi.fn(() => of(undefined));
    await TestBed.configureTestingModule({
      imports: [ReportDialog],
      providers: [{ provide: ModerationService, useValue: { report } }],
    }).compileComponents();
    notifications = TestBed.inject(NotificationService);
    fixture = TestBed.createComponent(ReportDialog);
    fixture.componentRef.setInput('postId', 7);
    fixture.componentRef.setInput('postTitle', 'Harbour at dusk');
    closed = 0;
    fixture.componentInstance.closed.subscribe(() => closed++);
    fixture.detectChanges();
    await fixture.whenStable();
  });

  const element = (): HTMLElement => fixture.nativeElement;
  const dialog = (): HTMLDialogElement => element().querySelector('dialog')!;
  const button = (name: string): HTMLButtonElement =>
    [...element().querySelectorAll('button')].find((b) => b.textContent?.trim() === name)!;
  const radio = (label: string): HTMLInputElement =>
    [...element().querySelectorAll('label')]
      .find((l) => l.textContent?.trim() === label)!
      .querySelector('input')!;
  const send = async () => {
    button('Send report').click();
    fixture.detectChanges();
    await fixture.whenStable();
  };

  it('opens as a labelled modal dialog with every reason of the API', () => {
    expect(dialog().open).toBe(true);
    expect(dialog().getAttribute('aria-labelledby')).toBe('report-title-7');
    expect(element().querySelector('#report-title-7')?.textContent).toBe('Report this post');
    const values = [...element().querySelectorAll<HTMLInputElement>('input[type=radio]')].map(
      (r) => r.value,
    );
    expect(values).toEqual(['spam', 'abuse', 'illegal', 'sexual', 'other']);
    expect(element().querySelector('textarea')?.getAttribute('maxlength')).toBe('500');
  });

  it('asks for a reason before it sends anything', async () => {
    await send();
    expect(element().querySelector('[role=alert]')?.textContent?.trim()).toBe('Choose a reason.');
    expect(report).not.toHaveBeenCalled();
    expect(dialog().open).toBe(true);
  });

  it('sends the reason and the note, thanks the reader and closes', async () => {
    const success = vi.spyOn(notifications, 'success');
    radio('Harassment or hate').click();
    const note = element().querySelector('textarea')!;
    note.value = 'name-calling';
    note.dispatchEvent(new Event('input'));
    fixture.detectChanges();
    expect(element().querySelector('.report__count')?.textContent?.trim()).toBe('12 / 500');
    await send();
    expect(report).toHaveBeenCalledWith(7, { reason: 'abuse', note: 'name-calling' });
    expect(success).toHaveBeenCalledWith('Thank you. A moderator will look at this post.');
    expect(dialog().open).toBe(false);
    expect(closed).toBe(1);
  });

  it('shows the API’s refusal and stays open', async () => {
    report.mockReturnValue(
      throwError(
        () =>
          new HttpErrorResponse({
            status: 404,
            error: { detail: { user_message: 'Post 7 does not exist.' } },
          }),
      ),
    );
    radio('Spam or advertising').click();
    await send();
    expect(element().querySelector('[role=alert]')?.textContent?.trim()).toBe(
      'Post 7 does not exist.',
    );
    expect(dialog().open).toBe(true);
    expect(closed).toBe(0);
    expect(button('Send report').getAttribute('aria-disabled')).toBeNull();
  });

  it('closes without sending on Cancel and on Escape', async () => {
    button('Cancel').click();
    expect(closed).toBe(1);
    dialog().dispatchEvent(new Event('cancel', { cancelable: true }));
    expect(closed).toBe(2);
    expect(report).not.toHaveBeenCalled();
  });
});
