import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  ElementRef,
  Injector,
  OnInit,
  afterNextRender,
  afterRenderEffect,
  computed,
  inject,
} from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { ActivatedRoute, Router } from '@angular/router';

import { PostCard } from '../post-card/post-card';
import { SortOrder, VoteDelta } from '../post.model';
import { PostStore } from '../post-store';
import { SearchBox } from '../search/search-box/search-box';
import { BoardView, boardQueryParams, boardViewFrom } from './board-params';

const LIVE_LABELS = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
} as const;

/**
 * The board: search, order switch, live status, "N new posts", the posts, and "load more".
 * What it shows follows the address (`?sort=`, `?q=`), so back and forward work.
 */
@Component({
  selector: 'app-post-list',
  imports: [PostCard, SearchBox],
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
  private readonly destroyRef = inject(DestroyRef);
  private readonly route = inject(ActivatedRoute);
  private readonly router = inject(Router);

  protected readonly sorts: { value: SortOrder; label: string }[] = [
    { value: 'hot', label: 'Hot' },
    { value: 'new', label: 'New' },
    { value: 'top', label: 'Top' },
  ];

  protected readonly liveLabel = computed(() => LIVE_LABELS[this.store.liveStatus()]);
  /** ", 3 changes waiting" while paused, or nothing when none waits. */
  protected readonly waitingLabel = computed(() => {
    const count = this.store.waitingChanges();
    return count === 0 ? '' : `, ${count} change${count === 1 ? '' : 's'} waiting`;
  });
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
    let started = false;
    this.route.queryParamMap.pipe(takeUntilDestroyed(this.destroyRef)).subscribe((params) => {
      const { sort, query } = boardViewFrom(params);
      if (started) {
        this.store.show(sort, query);
      } else {
        this.store.start(sort, query);
        started = true;
      }
    });
  }

  /**
   * A new search (or '' for the board again) gets its own history entry, so that Back returns
   * to what was shown before it.
   */
  protected search(query: string): void {
    if (query === this.store.query()) {
      return;
    }
    this.go({ sort: this.store.sort(), query }, false);
    this.focusAfterRender('#board-heading');
  }

  /** Another order replaces the address: Back leaves the board rather than undo a click. */
  protected setSort(sort: SortOrder): void {
    this.go({ sort, query: '' }, true);
  }

  private go(view: BoardView, replaceUrl: boolean): void {
    void this.router.navigate([], {
      relativeTo: this.route,
      queryParams: boardQueryParams(view),
      queryParamsHandling: 'merge',
      replaceUrl,
    });
  }

  /**
   * Shows the waiting new posts and takes the reader to the first of them, or, in the ranked
   * views (which load their first page again), to the top of the board.
   */
  protected showNewPosts(): void {
    const first = this.store.showNewPosts();
    this.focusAfterRender(first === null ? '#board-heading' : `[data-post-id="${first}"]`, true);
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
