import { ChangeDetectionStrategy, Component } from '@angular/core';

import { PostForm } from './posts/post-form/post-form';
import { PostList } from './posts/post-list/post-list';
import { ToastRegion } from './shared/notifications/toast-region/toast-region';

@Component({
  selector: 'app-root',
  imports: [PostForm, PostList, ToastRegion],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <a class="skip-link" href="#board">Skip to the board</a>
    <header class="topbar">
      <div class="topbar__inner">
        <h1 class="brand">
          <span class="brand__mark" aria-hidden="true">P</span>
          Postboard
        </h1>
        <p class="tagline">Share a thought, an image, a vote.</p>
      </div>
    </header>
    <main class="layout">
      <aside class="layout__side">
        <app-post-form />
      </aside>
      <div id="board" class="layout__main" tabindex="-1">
        <app-post-list />
      </div>
    </main>
    <app-toast-region />
  `,
  styles: `
    :host {
      display: block;
      min-height: 100vh;
    }
  `,
})
export class App {}
