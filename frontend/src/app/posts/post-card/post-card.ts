import {
  ChangeDetectionStrategy,
  Component,
  computed,
  inject,
  input,
  output,
  signal,
} from '@angular/core';

import { Clock } from '../../shared/time/clock';
import { absoluteTime } from '../../shared/time/relative-time';
import { RelativeTimePipe } from '../../shared/time/relative-time.pipe';
import { CARD_IMAGE_SIZES, cardImage } from '../post-image';
import { Post, VoteDelta } from '../post.model';

/** One post on the board: votes, author, time, title, image and text. */
@Component({
  selector: 'app-post-card',
  imports: [RelativeTimePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-card.html',
  styleUrl: './post-card.css',
})
export class PostCard {
  protected readonly clock = inject(Clock);

  readonly post = input.required<Post>();
  readonly vote = output<VoteDelta>();

  protected readonly image = computed(() => cardImage(this.post()));
  protected readonly imageSizes = CARD_IMAGE_SIZES;
  protected readonly fullDate = computed(() => absoluteTime(this.post().created_at));
  protected readonly imageState = signal<'loading' | 'loaded' | 'failed'>('loading');
}
