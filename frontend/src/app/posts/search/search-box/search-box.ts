import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  effect,
  input,
  output,
  viewChild,
} from '@angular/core';

/** The most characters a search may have (API.md, "Search"). */
export const MAX_QUERY_CHARS = 200;

/** The search form above the board: it says what to search for; the board shows the results. */
@Component({
  selector: 'app-search-box',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './search-box.html',
  styleUrl: './search-box.css',
})
export class SearchBox {
  /** The search shown now ('' on the board), which the field shows too. */
  readonly query = input('');
  /** The words to search for, trimmed; '' to go back to the board. */
  readonly searched = output<string>();

  protected readonly maxLength = MAX_QUERY_CHARS;
  private readonly field = viewChild.required<ElementRef<HTMLInputElement>>('field');

  constructor() {
    // Back and forward change the search from outside: the field follows.
    effect(() => {
      const field = this.field().nativeElement;
      if (field.value.trim() !== this.query()) {
        field.value = this.query();
      }
    });
  }

  protected submit(event: Event): void {
    event.preventDefault();
    this.searched.emit(this.field().nativeElement.value.trim());
  }

  /** The field's own clear button (and Escape) empties it: back to the board. */
  protected onInput(): void {
    if (this.field().nativeElement.value === '' && this.query() !== '') {
      this.searched.emit('');
    }
  }
}
