import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  computed,
  effect,
  inject,
  input,
  untracked,
} from '@angular/core';
import { Title } from '@angular/platform-browser';
import { Router, RouterLink } from '@angular/router';

import { NotificationService } from '../../shared/notifications/notification.service';
import { PostCard } from '../post-card/post-card';
import { VoteDelta } from '../post.model';
import { PostStore } from '../post-store';

/**
 * A post's own page (`/p/{id}`): the post, live like on the board, with its votes, Delete for
 * its author, and "Copy link". The server answers the same address with the post's link
 * preview tags, so the link shows a preview where it is pasted.
 */
@Component({
  selector: 'app-post-page',
  imports: [PostCard, RouterLink],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-page.html',
  styleUrl: './post-page.css',
})
export class PostPage {
  /** The `{id}` of the address. */
  readonly id = input.required<string>();

  protected readonly store = inject(PostStore);
  private readonly router = inject(Router);
  private readonly title = inject(Title);
  private readonly notifications = inject(NotificationService);
  private readonly document = inject(DOCUMENT);

  /** The id, when the address holds one (`/p/abc` names no post). */
  protected readonly postId = computed(() =>
    /^\d{1,15}$/.test(this.id()) ? Number(this.id()) : null,
  );
  /** The post, once loaded (null while loading, or when there is no such post). */
  protected readonly post = computed(() => {
    const id = this.postId();
    return id !== null && this.store.openedPostId() === id ? (this.store.posts()[0] ?? null) : null;
  });
  protected readonly notFound = computed(
    () =>
      this.postId() === null ||
      (this.store.isEmpty() && this.store.openedPostId() === this.postId()),
  );

  constructor() {
    effect(() => {
      const id = this.postId();
      if (id !== null) {
        untracked(() => this.store.open(id));
      }
    });
    effect(() => {
      const post = this.post();
      if (post) {
        this.title.setTitle(`${post.title} · Postboard`);
      } else if (this.notFound()) {
        this.title.setTitle('Post not found · Postboard');
      }
    });
  }

  protected onVote(postId: number, delta: VoteDelta): void {
    this.store.vote(postId, delta);
  }

  /** After its author deletes it, the page has nothing left to show: back to the board. */
  protected async onRemove(postId: number): Promise<void> {
    if (await this.store.deletePost(postId)) {
      await this.router.navigateByUrl('/');
    }
  }

  protected async copyLink(postId: number): Promise<void> {
    const link = new URL(`/p/${postId}`, this.document.location.href).href;
    try {
      await this.document.defaultView?.navigator.clipboard.writeText(link);
      this.notifications.success('Link copied.');
    } catch {
      this.notifications.error(`The link could not be copied. It is ${link}`);
    }
  }
}
