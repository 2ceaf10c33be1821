import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  computed,
  inject,
  input,
  output,
  signal,
  viewChild,
} from '@angular/core';
import { NgTemplateOutlet } from '@angular/common';
import { RouterLink } from '@angular/router';

import { ReportDialog } from '../../moderation/report-dialog/report-dialog';
import { Clock } from '../../shared/time/clock';
import { absoluteTime } from '../../shared/time/relative-time';
import { RelativeTimePipe } from '../../shared/time/relative-time.pipe';
import { OwnVote } from '../own-votes/own-votes';
import { CARD_IMAGE_SIZES, cardImage } from '../post-image';
import { Post, VoteDelta } from '../post.model';
import { highlight } from '../search/highlight';

/**
 * One post on the board: votes, author, time, title, image, text, Report and, for own posts,
 * Delete.
 */
@Component({
  selector: 'app-post-card',
  imports: [NgTemplateOutlet, RelativeTimePipe, ReportDialog, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-card.html',
  styleUrl: './post-card.css',
})
export class PostCard {
  protected readonly clock = inject(Clock);
  private readonly injector = inject(Injector);
  private readonly deleteButton = viewChild<ElementRef<HTMLButtonElement>>('deleteButton');
  private readonly cancelButton = viewChild<ElementRef<HTMLButtonElement>>('cancelButton');
  private readonly reportButton = viewChild<ElementRef<HTMLButtonElement>>('reportButton');

  readonly post = input.required<Post>();
  /** The vote this browser gives the post: its arrow shows pressed. */
  readonly myVote = input<OwnVote>(0);
  /** This browser created the post (it holds the delete token). */
  readonly own = input(false);
  /** The deletion is under way. */
  readonly deleting = input(false);
  /** Whether the title links to the post's own page (not on that page itself). */
  readonly linkTitle = input(true);
  /** A search whose words are marked in the title and the text ('' for none). */
  readonly highlight = input('');

  /** An arrow was pressed (the store decides what that means for the vote). */
  readonly vote = output<VoteDelta>();
  /** The user confirmed the deletion. */
  readonly remove = output<void>();

  protected readonly image = computed(() => cardImage(this.post()));
  protected readonly imageSizes = CARD_IMAGE_SIZES;
  protected readonly fullDate = computed(() => absoluteTime(this.post().created_at));
  protected readonly titleSegments = computed(() => highlight(this.post().title, this.highlight()));
  protected readonly textSegments = computed(() => highlight(this.post().post, this.highlight()));
  protected readonly imageState = signal<'loading' | 'loaded' | 'failed'>('loading');
  protected readonly confirming = signal(false);
  /** The report dialog is open. */
  protected readonly reporting = signal(false);

  protected askToDelete(): void {
    this.confirming.set(true);
    // The safe choice gets the focus.
    this.focusAfterRender(() => this.cancelButton());
  }

  protected cancelDelete(): void {
    if (this.deleting()) {
      return;
    }
    this.confirming.set(false);
    this.focusAfterRender(() => this.deleteButton());
  }

  protected confirmDelete(): void {
    if (!this.deleting()) {
      this.remove.emit();
    }
  }

  protected reportClosed(): void {
    this.reporting.set(false);
    // Back where the reader was (a dialog that closes leaves the focus on the page's body).
    this.focusAfterRender(() => this.reportButton());
  }

  private focusAfterRender(target: () => ElementRef<HTMLElement> | undefined): void {
    afterNextRender(() => target()?.nativeElement.focus(), { injector: this.injector });
  }
}
