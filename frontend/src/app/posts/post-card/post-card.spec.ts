import { ComponentFixture, TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { of } from 'rxjs';

import { ModerationService } from '../../moderation/moderation.service';

import { CARD_IMAGE_SIZES } from '../post-image';
import { VoteDelta } from '../post.model';
import { makePost } from '../testing';
import { PostCard } from './post-card';

describe('PostCard', () => {
  let fixture: ComponentFixture<PostCard>;
  let el: HTMLElement;

  beforeEach(async () => {
    TestBed.configureTestingModule({
      providers: [
        provideRouter([]),
        { provide: ModerationService, useValue: { report: vi.fn(() => of(undefined)) } },
      ],
    });
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

  it("links its title to the post's page, but for on that page, and marks searched words", async () => {
    fixture.componentRef.setInput('post', makePost({ id: 7, title: 'Harbour lights' }));
    fixture.componentRef.setInput('highlight', 'harbour');
    await fixture.whenStable();
    const link = el.querySelector<HTMLAnchorElement>('h2 a')!;
    expect(link.getAttribute('href')).toBe('/p/7');
    expect(link.textContent).toBe('Harbour lights');
    expect(el.querySelector('h2 mark')?.textContent).toBe('Harbour');
    fixture.componentRef.setInput('linkTitle', false);
    await fixture.whenStable();
    expect(el.querySelector('h2 a')).toBeNull();
    expect(el.querySelector('h2')?.textContent?.trim()).toBe('Harbour lights');
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

  it('shows the vote this browser gave as pressed', async () => {
    fixture.componentRef.setInput('post', makePost({ title: 'Mine' }));
    await fixture.whenStable();
    const up = () => el.querySelector('[aria-label="Upvote Mine"]')!.getAttribute('aria-pressed');
    const down = () =>
      el.querySelector('[aria-label="Downvote Mine"]')!.getAttribute('aria-pressed');
    expect([up(), down()]).toEqual(['false', 'false']);
    fixture.componentRef.setInput('myVote', 1);
    await fixture.whenStable();
    expect([up(), down()]).toEqual(['true', 'false']);
    fixture.componentRef.setInput('myVote', -1);
    await fixture.whenStable();
    expect([up(), down()]).toEqual(['false', 'true']);
  });

  describe('Report', () => {
    const report = () =>
      [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Report') ?? null;

    beforeAll(() => {
      // jsdom knows <dialog> but not its modal behaviour.
      HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
        this.setAttribute('open', '');
      };
      HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
        this.removeAttribute('open');
      };
    });

    it('is offered on every post, own or not, and opens the report dialog', async () => {
      fixture.componentRef.setInput('post', makePost({ id: 5, title: 'Theirs' }));
      await fixture.whenStable();
      expect(report()?.getAttribute('aria-label')).toBe('Report Theirs');
      expect(el.querySelector('dialog')).toBeNull();
      report()!.click();
      await fixture.whenStable();
      expect(el.querySelector('dialog')?.open).toBe(true);
      fixture.componentRef.setInput('own', true);
      await fixture.whenStable();
      expect(report()).not.toBeNull();
    });

    it('goes back to the Report button when the dialog closes', async () => {
      fixture.componentRef.setInput('post', makePost({ id: 5, title: 'Theirs' }));
      await fixture.whenStable();
      report()!.click();
      await fixture.whenStable();
      [...el.querySelectorAll('dialog button')]
        .find((b) => b.textContent?.trim() === 'Cancel')!
        .dispatchEvent(new MouseEvent('click'));
      await fixture.whenStable();
      expect(el.querySelector('dialog')).toBeNull();
      expect(document.activeElement).toBe(report());
    });
  });

  describe('Delete', () => {
    let removals: number;
    const button = (name: string) =>
      [...el.querySelectorAll('button')].find((b) => b.textContent?.trim() === name) ?? null;

    beforeEach(async () => {
      removals = 0;
      fixture.componentInstance.remove.subscribe(() => removals++);
      fixture.componentRef.setInput('post', makePost({ id: 4, title: 'Mine' }));
      await fixture.whenStable();
    });

    it('is offered on own posts only', async () => {
      expect(button('Delete')).toBeNull();
      fixture.componentRef.setInput('own', true);
      await fixture.whenStable();
      expect(button('Delete')?.getAttribute('aria-label')).toBe('Delete Mine');
    });

    it('asks in the page first; Cancel and Escape go back to the Delete button', async () => {
      fixture.componentRef.setInput('own', true);
      await fixture.whenStable();
      button('Delete')!.click();
      await fixture.whenStable();
      const group = el.querySelector('[role="group"].confirm')!;
      const question = el.querySelector(`#${group.getAttribute('aria-labelledby')}`);
      expect(question?.textContent).toContain('Delete this post for everyone?');
      expect(document.activeElement).toBe(button('Cancel'));
      expect(removals).toBe(0);

      button('Cancel')!.click();
      await fixture.whenStable();
      expect(el.querySelector('.confirm')).toBeNull();
      expect(document.activeElement).toBe(button('Delete'));

      button('Delete')!.click();
      await fixture.whenStable();
      group.ownerDocument
        .querySelector('.confirm')!
        .dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
      await fixture.whenStable();
      expect(el.querySelector('.confirm')).toBeNull();
      expect(document.activeElement).toBe(button('Delete'));
      expect(removals).toBe(0);
    });

    it('emits once when confirmed and shows the deletion under way', async () => {
      fixture.componentRef.setInput('own', true);
      await fixture.whenStable();
      button('Delete')!.click();
      await fixture.whenStable();
      button('Yes, delete')!.click();
      expect(removals).toBe(1);
      fixture.componentRef.setInput('deleting', true);
      await fixture.whenStable();
      const busy = button('Deleting…')!;
      expect(busy.getAttribute('aria-disabled')).toBe('true');
      busy.click();
      button('Cancel')!.click();
      await fixture.whenStable();
      expect(removals).toBe(1);
      expect(el.querySelector('.confirm')).not.toBeNull();
    });
  });
});
