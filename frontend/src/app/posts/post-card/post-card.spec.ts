import { ComponentFixture, TestBed } from '@angular/core/testing';

import { CARD_IMAGE_SIZES } from '../post-image';
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

  it('shows title, text, author and score', async () => {
    fixture.componentRef.setInput(
      'post',
      makePost({ title: 'Sunset', post: 'Nice', username: 'mira', score: 3 }),
    );
    await fixture.whenStable();
    expect(el.querySelector('h2')?.textContent).toContain('Sunset');
    expect(el.textContent).toContain('Nice');
    expect(el.textContent).toContain('mira');
    expect(el.querySelector('[data-testid="score"]')?.textContent?.trim()).toBe('3');
    expect(el.querySelector('time')?.getAttribute('datetime')).toBeTruthy();
  });

  it('draws an image of known size from variants, sized before it loads, linked to the original', async () => {
    const hash = 'a'.repeat(64);
    fixture.componentRef.setInput(
      'post',
      makePost({ title: 'Sunset', image_hash: hash, image_width: 1000, image_height: 750 }),
    );
    await fixture.whenStable();
    const img = el.querySelector('img')!;
    expect(img.getAttribute('srcset')).toBe(
      `/image/${hash}?width=320 320w, /image/${hash}?width=640 640w, /image/${hash}?width=1280 1000w`,
    );
    expect(img.getAttribute('sizes')).toBe(CARD_IMAGE_SIZES);
    expect(img.getAttribute('src')).toBe(`/image/${hash}?width=640`);
    expect(img.getAttribute('width')).toBe('1000');
    expect(img.getAttribute('height')).toBe('750');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.getAttribute('decoding')).toBe('async');
    expect(img.alt).toBe('Sunset');
    expect(el.querySelector('figure')?.classList).toContain('media--sized');
    const link = img.closest('a')!;
    expect(link.getAttribute('href')).toBe(`/image/${hash}`);
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toContain('noopener');
    expect(link.getAttribute('aria-label')).toContain('Sunset');
  });

  it('shows an image of unknown size as before: the original in a 16:10 frame', async () => {
    const hash = 'b'.repeat(64);
    fixture.componentRef.setInput('post', makePost({ title: 'Old', image_hash: hash }));
    await fixture.whenStable();
    const img = el.querySelector('img')!;
    expect(img.getAttribute('src')).toBe(`/image/${hash}`);
    expect(img.hasAttribute('srcset')).toBe(false);
    expect(img.hasAttribute('sizes')).toBe(false);
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['1600', '1000']);
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(el.querySelector('figure')?.classList).not.toContain('media--sized');
    img.dispatchEvent(new Event('error'));
    await fixture.whenStable();
    expect(el.querySelector('figcaption')?.textContent).toContain('Image unavailable');
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
