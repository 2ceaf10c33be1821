import { ChangeDetectionStrategy, Component, OnInit, inject } from '@angular/core';

import { PostCard } from '../post-card/post-card';
import { SortOrder, VoteDelta } from '../post.model';
import { PostStore } from '../post-store';

/** The board: order switch, the posts, and "load more". */
@Component({
  selector: 'app-post-list',
  imports: [PostCard],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-list.html',
  styleUrl: './post-list.css',
})
export class PostList implements OnInit {
  protected readonly store = inject(PostStore);
  protected readonly sorts: { value: SortOrder; label: string }[] = [
    { value: 'new', label: 'Newest' },
    { value: 'top', label: 'Top' },
  ];

  ngOnInit(): void {
    this.store.load();
  }

  protected onVote(postId: number, delta: VoteDelta): void {
    this.store.vote(postId, delta);
  }
}
