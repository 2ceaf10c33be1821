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
import { Post, VoteDelta } from '../post.model';
import { PostService } from '../post.service';

/** One post on the board: votes, author, time, title, image and text. */
@Component({
  selector: 'app-post-card',
  imports: [RelativeTimePipe],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-card.html',
  styleUrl: './post-card.css',
})
export class PostCard {
  private readonly api = inject(PostService);
  protected readonly clock = inject(Clock);

  readonly post = input.required<Post>();
  readonly vote = output<VoteDelta>();

  protected readonly imageUrl = computed(() => {
    const hash = this.post().image_hash;
    return hash ? this.api.imageUrl(hash) : null;
  });
  protected readonly fullDate = computed(() => absoluteTime(this.post().created_at));
  protected readonly imageState = signal<'loading' | 'loaded' | 'failed'>('loading');
}
