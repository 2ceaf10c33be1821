import {
  ChangeDetectionStrategy,
  Component,
  ElementRef,
  OnDestroy,
  computed,
  inject,
  output,
  signal,
  viewChild,
} from '@angular/core';

import { NotificationService } from '../../shared/notifications/notification.service';
import { PostStore } from '../post-store';
import { IMAGE_HINT, IMAGE_TYPES, POST_LIMITS } from '../post-limits';
import {
  codePointLength,
  validateImage,
  validateText,
  validateTitle,
  validateUsername,
} from './post-validation';

type Field = 'title' | 'text' | 'username' | 'file';

/** The create form. Checks mirror API.md; the server's answer is still the authority. */
@Component({
  selector: 'app-post-form',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './post-form.html',
  styleUrl: './post-form.css',
})
export class PostForm implements OnDestroy {
  private readonly store = inject(PostStore);
  private readonly notifications = inject(NotificationService);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly fileInput = viewChild.required<ElementRef<HTMLInputElement>>('fileInput');

  protected readonly limits = POST_LIMITS;
  protected readonly accept = IMAGE_TYPES.join(',');
  protected readonly imageHint = IMAGE_HINT;

  /** A post was created (the form is empty again). */
  readonly created = output<void>();

  readonly title = signal('');
  readonly text = signal('');
  readonly username = signal('');
  readonly file = signal<File | null>(null);
  readonly previewUrl = signal<string | null>(null);
  /** The browser could not decode the chosen file; the server will have the last word. */
  readonly previewBroken = signal(false);
  readonly submitting = signal(false);
  /** Fields whose errors are shown (after leaving them, or after a submit attempt). */
  readonly touched = signal<ReadonlySet<Field>>(new Set());

  readonly titleLength = computed(() => codePointLength(this.title().trim()));
  readonly textLength = computed(() => codePointLength(this.text().trim()));

  readonly errors = computed<Record<Field, string | null>>(() => ({
    title: validateTitle(this.title()),
    text: validateText(this.text()),
    username: validateUsername(this.username()),
    file: validateImage(this.file()),
  }));
  readonly valid = computed(() => Object.values(this.errors()).every((e) => e === null));

  /** The error to show under a field, or null. */
  protected shown(field: Field): string | null {
    return this.touched().has(field) ? this.errors()[field] : null;
  }

  protected touch(field: Field): void {
    if (!this.touched().has(field)) {
      this.touched.update((set) => new Set([...set, field]));
    }
  }

  protected onInput(field: 'title' | 'text' | 'username', event: Event): void {
    const value = (event.target as HTMLInputElement | HTMLTextAreaElement).value;
    this[field].set(value);
    // Once a field showed an error, keep it live; and an over-long value shows at once.
    if (!this.touched().has(field) && this.errors()[field]?.includes('at most')) {
      this.touch(field);
    }
  }

  protected onFileChange(event: Event): void {
    const input = event.target as HTMLInputElement;
    this.setFile(input.files?.[0] ?? null);
    this.touch('file');
  }

  protected removeFile(): void {
    this.setFile(null);
    const input = this.fileInput().nativeElement;
    input.value = '';
    input.focus();
  }

  /** Submits when valid; otherwise reveals every error and focuses the first invalid field. */
  submit(event?: Event): void {
    event?.preventDefault();
    if (this.submitting()) {
      return;
    }
    this.touched.set(new Set<Field>(['title', 'text', 'username', 'file']));
    if (!this.valid()) {
      this.focusFirstInvalid();
      return;
    }
    this.submitting.set(true);
    this.store
      .create({
        title: this.title().trim(),
        post: this.text().trim(),
        username: this.username().trim(),
        file: this.file(),
      })
      .subscribe({
        next: (post) => {
          this.submitting.set(false);
          this.reset();
          this.notifications.success(
            this.store.isWaiting(post.id)
              ? 'Your post waits for a moderator.'
              : 'Your post is on the board.',
          );
          this.created.emit();
        },
        // The store already showed the server's message; keep what the user typed.
        error: () => this.submitting.set(false),
      });
  }

  /** Puts the cursor in the first field (when the form is opened on a phone). */
  focus(): void {
    this.host.nativeElement.querySelector<HTMLElement>('[data-field="title"]')?.focus();
  }

  ngOnDestroy(): void {
    this.revokePreview();
  }

  private reset(): void {
    this.title.set('');
    this.text.set('');
    this.username.set('');
    this.setFile(null);
    this.fileInput().nativeElement.value = '';
    this.touched.set(new Set());
  }

  private setFile(file: File | null): void {
    this.revokePreview();
    this.previewBroken.set(false);
    this.file.set(file);
    if (file && validateImage(file) === null && URL.createObjectURL) {
      this.previewUrl.set(URL.createObjectURL(file));
    }
  }

  private revokePreview(): void {
    const url = this.previewUrl();
    if (url) {
      URL.revokeObjectURL(url);
      this.previewUrl.set(null);
    }
  }

  private focusFirstInvalid(): void {
    const errors = this.errors();
    const order: Field[] = ['title', 'text', 'username', 'file'];
    const first = order.find((f) => errors[f] !== null);
    if (first) {
      this.host.nativeElement.querySelector<HTMLElement>(`[data-field="${first}"]`)?.focus();
    }
  }
}
