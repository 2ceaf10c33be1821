import { ComponentFixture, TestBed } from '@angular/core/testing';

import { SearchBox } from './search-box';

describe('SearchBox', () => {
  let fixture: ComponentFixture<SearchBox>;
  let searches: string[];
  const field = () =>
    fixture.nativeElement.querySelector('input[type="search"]') as HTMLInputElement;
  const form = () => fixture.nativeElement.querySelector('form') as HTMLFormElement;

  beforeEach(() => {
    fixture = TestBed.createComponent(SearchBox);
    searches = [];
    fixture.componentInstance.searched.subscribe((q) => searches.push(q));
    fixture.detectChanges();
  });

  it('is a labelled search landmark', () => {
    expect(form().getAttribute('role')).toBe('search');
    expect(fixture.nativeElement.querySelector('label[for="search-field"]').textContent).toContain(
      'Search posts',
    );
    expect(field().maxLength).toBe(200);
  });

  it('emits the trimmed words on submit', () => {
    field().value = '  harbour lights ';
    form().dispatchEvent(new Event('submit', { cancelable: true }));
    expect(searches).toEqual(['harbour lights']);
  });

  it('shows the current search, and a cleared field goes back to the board', async () => {
    fixture.componentRef.setInput('query', 'harbour');
    fixture.detectChanges();
    await fixture.whenStable();
    expect(field().value).toBe('harbour');
    field().value = '';
    field().dispatchEvent(new Event('input'));
    expect(searches).toEqual(['']);
  });
});
