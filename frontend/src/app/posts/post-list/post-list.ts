import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  OnInit,
  afterNextRender,
  afterRenderEffect,
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
  host: { '(document:focusin)': 'trackFocus($event)' },
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

  /** The post holding the keyboard focus, if any. */
  private focusedPostId: number | null = null;
  /** The order of the posts at the last render, to find a removed post's neighbours. */
  private renderedIds: number[] = [];

  constructor() {
    // A post that leaves the board (deleted here or elsewhere) must not take the focus with
    // it: the focus goes on to the next post still shown, else the previous, else the heading.
    afterRenderEffect(() => {
      const ids = this.store.posts().map((p) => p.id);
      const before = this.renderedIds;
      this.renderedIds = ids;
      const lost = this.focusedPostId;
      if (lost === null || ids.includes(lost)) {
        return;
      }
      this.focusedPostId = null;
      const active = this.document.activeElement;
      if (active && active !== this.document.body && active.isConnected) {
        return; // the focus is somewhere else already
      }
      const index = before.indexOf(lost);
      const still = (id: number) => ids.includes(id);
      const next =
        before.slice(index + 1).find(still) ??
        before.slice(0, Math.max(index, 0)).reverse().find(still);
      this.focus(next === undefined ? '#board-heading' : `[data-post-id="${next}"]`);
    });
  }

  protected trackFocus(event: FocusEvent): void {
    const target = event.target instanceof Element ? event.target : null;
    const card = this.host.nativeElement.contains(target)
      ? target?.closest('[data-post-id]')
      : null;
    this.focusedPostId = card ? Number(card.getAttribute('data-post-id')) : null;
  }

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

  /** Deletes a confirmed post (the focus moves on as for any post that leaves the board). */
  protected onRemove(postId: number): void {
    void this.store.deletePost(postId);
  }

  private focusAfterRender(selector: string, scrollToStart = false): void {
    afterNextRender(() => this.focus(selector, scrollToStart), { injector: this.injector });
  }

  private focus(selector: string, scrollToStart = false): void {
    const target = this.host.nativeElement.querySelector<HTMLElement>(selector);
    if (scrollToStart) {
      target?.scrollIntoView?.({ block: 'start' });
    }
    target?.focus({ preventScroll: scrollToStart });
  }
}
