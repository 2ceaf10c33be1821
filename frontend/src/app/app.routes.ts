import { Routes } from '@angular/router';

import { PostList } from './posts/post-list/post-list';
import { PostPage } from './posts/post-page/post-page';

/**
 * The app's addresses: the board (`/`, its order and search in `?sort=` and `?q=`), a post's
 * own page (`/p/{id}`, which the server also answers with the post's link preview tags), the
 * moderators' queue (`/mod`) and the public moderation log (`/modlog`).
 */
export const routes: Routes = [
  { path: '', component: PostList, title: 'Postboard' },
  { path: 'p/:id', component: PostPage },
  // Loaded when first opened: few readers ever open them, and the board's first load has a
  // transfer budget (frontend/README.md, "Bundle budget").
  {
    path: 'mod',
    loadComponent: () => import('./moderation/mod-page/mod-page').then((m) => m.ModPage),
    title: 'Moderation · Postboard',
  },
  {
    path: 'modlog',
    loadComponent: () => import('./moderation/mod-log-page/mod-log-page').then((m) => m.ModLogPage),
    title: 'Moderation log · Postboard',
  },
  { path: '**', redirectTo: '' },
];
