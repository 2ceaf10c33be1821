import { ComponentFixture, TestBed } from '@angular/core/testing';

import { VoteDelta } from '../post.model';
import { makePost } from '../testing';
import { PostCard } from './post-card';

describe('PostCard', () => {
  let fixture: ComponentFixture<PostCard>;
  let el: HTMLElement;

  beforeEach(async () => {
    fixture = TestBed.createComponent(PostCard);
    el = fixture.nativeElement;
  });

  it('shows title, text, author, score and a lazy image with the title as alt', async () => {
    const hash = 'a'.repeat(64);
    fixture.componentRef.setInput(
      'post',
      makePost({ title: 'Sunset', post: 'Nice', username: 'mira', score: 3, image_hash: hash }),
    );
    await fixture.whenStable();
    expect(el.querySelector('h2')?.textContent).toContain('Sunset');
    expect(el.textContent).toContain('Nice');
    expect(el.textContent).toContain('mira');
    expect(el.querySelector('[data-testid="score"]')?.textContent?.trim()).toBe('3');
    const img = el.querySelector('img')!;
    expect(img.getAttribute('src')).toBe(`/image/${hash}`);
    expect(img.alt).toBe('Sunset');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(el.querySelector('time')?.getAttribute('datetime')).toBeTruthy();
  });

  it('has no image without a hash and emits votes from labelled buttons', async () => {
    fixture.componentRef.setInput('post', makePost({ title: 'Plain' }));
    await fixture.whenStable();
    expect(el.querySelector('img')).toBeNull();
    const votes: VoteDelta[] = [];
    fixture.componentInstance.vote.subscribe((v) => votes.push(v));
    el.querySelector<HTMLButtonElement>('[aria-label="Upvote Plain"]')!.click();
    el.querySelector<HTMLButtonElement>('[aria-label="Downvote Plain"]')!.click();
    expect(votes).toEqual([1, -1]);
  });
});
