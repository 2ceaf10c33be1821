import { DOCUMENT } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  Injector,
  afterNextRender,
  inject,
  signal,
  viewChild,
} from '@angular/core';

import { RouterLink, RouterOutlet } from '@angular/router';

import { PostForm } from './posts/post-form/post-form';
import { ToastRegion } from './shared/notifications/toast-region/toast-region';

/** Where the layout switches to two columns (styles.css uses the same width). */
export const WIDE_LAYOUT_QUERY = '(min-width: 56rem)';

@Component({
  selector: 'app-root',
  imports: [PostForm, RouterLink, RouterOutlet, ToastRegion],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <!-- Not href="#board": with <base href="/">, that would leave a post's page for "/". -->
    <a class="skip-link" href="#board" (click)="skipToMain($event)">Skip to the main content</a>
    <header class="topbar">
      <div class="topbar__inner">
        <h1 class="brand">
          <a class="brand__link" routerLink="/">
            <span class="brand__mark" aria-hidden="true">P</span>
            Postboard
          </a>
        </h1>
        <p class="tagline">Share a thought, an image, a vote.</p>
        <!-- Narrow screens only: the form waits behind this button so the board comes first. -->
        <button
          #composeToggle
          type="button"
          class="button button--primary compose-toggle"
          aria-controls="compose"
          [attr.aria-expanded]="composeOpen()"
          (click)="toggleCompose()"
        >
          <span aria-hidden="true">{{ composeOpen() ? '×' : '+' }}</span>
          New post
        </button>
      </div>
    </header>
    <main class="layout">
      <aside
        id="compose"
        class="layout__side"
        aria-labelledby="form-heading"
        [class.layout__side--open]="composeOpen()"
      >
        <app-post-form (created)="onCreated()" />
      </aside>
      <div id="board" class="layout__main" tabindex="-1">
        <router-outlet />
      </div>
    </main>
    <footer class="footer">
      <a routerLink="/modlog">Moderation log</a>
    </footer>
    <app-toast-region />
  `,
  styles: `
    :host {
      display: block;
      min-height: 100vh;
    }
  `,
})
export class App {
  private readonly injector = inject(Injector);
  private readonly document = inject(DOCUMENT);
  private readonly view = this.document.defaultView;
  private readonly form = viewChild.required(PostForm);
  private readonly composeToggle =
    viewChild.required<ElementRef<HTMLButtonElement>>('composeToggle');

  /** The form is open on a narrow screen (wide screens always show it). */
  protected readonly composeOpen = signal(false);

  protected skipToMain(event: Event): void {
    event.preventDefault();
    this.document.getElementById('board')?.focus();
  }

  protected toggleCompose(): void {
    const open = !this.composeOpen();
    this.composeOpen.set(open);
    if (open) {
      afterNextRender(() => this.form().focus(), { injector: this.injector });
    }
  }

  /** After posting from a phone, the form closes and the board shows the new post. */
  protected onCreated(): void {
    if (!this.composeOpen() || this.isWide()) {
      return;
    }
    this.composeOpen.set(false);
    afterNextRender(() => this.composeToggle().nativeElement.focus(), {
      injector: this.injector,
    });
  }

  private isWide(): boolean {
    return this.view?.matchMedia?.(WIDE_LAYOUT_QUERY).matches ?? true;
  }
}
