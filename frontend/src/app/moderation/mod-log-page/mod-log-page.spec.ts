import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { RouterTestingHarness } from '@angular/router/testing';
import { of } from 'rxjs';

import { ModLogEntry } from '../moderation.model';
import { ModeratorApi } from '../moderator-api';
import { ModLogPage } from './mod-log-page';

function entry(id: number, overrides: Partial<ModLogEntry> = {}): ModLogEntry {
  return {
    id,
    at: new Date().toISOString(),
    action: 'remove',
    post_id: 100 + id,
    reason: `Reason ${id}`,
    moderator: 'dana',
    ...overrides,
  };
}

describe('ModLogPage', () => {
  it('lists the entries newest first and loads older ones on request', async () => {
    const modLog = vi
      .fn()
      .mockReturnValueOnce(
        of({
          entries: [entry(3), entry(2, { action: 'hide', moderator: null })],
          next: '/modlog?before=2',
        }),
      )
      .mockReturnValueOnce(of({ entries: [entry(1, { action: 'purge' })], next: null }));
    TestBed.configureTestingModule({
      providers: [
        provideRouter([{ path: 'modlog', component: ModLogPage }]),
        { provide: ModeratorApi, useValue: { modLog } },
      ],
    });
    const harness = await RouterTestingHarness.create();
    await harness.navigateByUrl('/modlog');
    const el = harness.fixture.nativeElement as HTMLElement;
    const items = () =>
      [...el.querySelectorAll('.mod-log__entry')].map((li) => li.textContent ?? '');
    expect(items()).toHaveLength(2);
    expect(items()[0]).toContain('Removed: post 103');
    expect(items()[0]).toContain('dana');
    expect(items()[1]).toContain('Hidden by reports');
    expect(items()[1]).toContain('readers’ reports');

    [...el.querySelectorAll('button')]
      .find((b) => b.textContent?.includes('Older entries'))!
      .click();
    harness.fixture.detectChanges();
    expect(modLog).toHaveBeenLastCalledWith('/modlog?before=2');
    expect(items()).toHaveLength(3);
    expect(items()[2]).toContain('Removed, image purged: post 101');
    expect(el.textContent).not.toContain('Older entries');
  });
});
