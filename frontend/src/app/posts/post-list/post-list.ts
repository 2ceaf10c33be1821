import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  OnInit,
  afterNextRender,
  computed,
  inject,
} from '@angular/core';

import { PostCard } from '../post-card/post-card';
import { SortOrder, VoteDelta } from '../post.model';
import { PostStore } from '../post-store';
import { sortFromQuery, urlWithSort } from './sort-param';

const LIVE_LABELS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
} as const;

/** The board: order switch, live status, "N new posts", the posts, and "load more". */
@Component({
  selector: 'app-post-list',
  imports: [PostCard],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-list.html',
  styleUrl: './post-list.css',
})
export class PostList implements OnInit {
  protected readonly store = inject(PostStore);
  private readonly document = inject(DOCUMENT);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);

  protected readonly sorts: { value: SortOrder; label: string }[] = [
    { value: 'hot', label: 'Hot' },
    { value: 'new', label: 'New' },
    { value: 'top', label: 'Top' },
  ];

  protected readonly liveLabel = computed(() => LIVE_LABELS[this.store.liveStatus()]);
  protected readonly newPostsLabel = computed(() => {
    const count = this.store.newPostCount();
    return `${count} new post${count === 1 ? '' : 's'}`;
  });

  ngOnInit(): void {
    this.store.start(sortFromQuery(this.document.location?.search ?? ''));
  }

  protected setSort(sort: SortOrder): void {
    this.store.setSort(sort);
    const location = this.document.location;
    const history = this.document.defaultView?.history;
    if (location?.href && history) {
      history.replaceState(history.state, '', urlWithSort(location.href, sort));
    }
  }

  /** Shows the waiting new posts on top and takes the reader to the first of them. */
  protected showNewPosts(): void {
    const first = this.store.showNewPosts();
    if (first !== null) {
      this.focusAfterRender(`[data-post-id="${first}"]`, true);
    }
  }

  protected onVote(postId: number, delta: VoteDelta): void {
    this.store.vote(postId, delta);
  }

  /** Deletes a confirmed post; focus goes on to the next post (or the board's heading). */
  protected async onRemove(postId: number): Promise<void> {
    const posts = this.store.posts();
    const index = posts.findIndex((p) => p.id === postId);
    const neighbour = posts[index + 1] ?? posts[index - 1];
    if (await this.store.deletePost(postId)) {
      this.focusAfterRender(neighbour ? `[data-post-id="${neighbour.id}"]` : '#board-heading');
    }
  }

  private focusAfterRender(selector: string, scrollToStart = false): void {
    afterNextRender(
      () => {
        const target = this.host.nativeElement.querySelector<HTMLElement>(selector);
        if (scrollToStart) {
          target?.scrollIntoView?.({ block: 'start' });
        }
        target?.focus({ preventScroll: scrollToStart });
      },
      { injector: this.injector },
    );
  }
}
