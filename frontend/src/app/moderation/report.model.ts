/** Why a reader reports a post (API.md, "Moderation"): the API's names, with their labels. */
export const REPORT_REASONS = [
  { value: 'spam', label: 'Spam or advertising' },
  { value: 'abuse', label: 'Harassment or hate' },
  { value: 'illegal', label: 'Illegal content' },
  { value: 'sexual', label: 'Sexual content' },
  { value: 'other', label: 'Something else' },
] as const;

export type ReportReason = (typeof REPORT_REASONS)[number]['value'];

/** At most this many characters in a report's note (the API's limit). */
export const REPORT_NOTE_MAX = 500;

export interface NewReport {
  reason: ReportReason;
  /** Empty: no note. */
  note: string;
}
