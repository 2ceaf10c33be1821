import { Routes } from '@angular/router';

import { PostList } from './posts/post-list/post-list';
import { PostPage } from './posts/post-page/post-page';

/**
 * The app's addresses: the board (`/`, its order and search in `?sort=` and `?q=`) and a post's
 * own page (`/p/{id}`, which the server also answers with the post's link preview tags).
 */
export const routes: Routes = [
  { path: '', component: PostList, title: 'Postboard' },
  { path: 'p/:id', component: PostPage },
  { path: '**', redirectTo: '' },
];
