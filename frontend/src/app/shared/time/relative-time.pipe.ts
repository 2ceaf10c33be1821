import { Pipe, PipeTransform } from '@angular/core';

import { relativeTime } from './relative-time';

/** `{{ iso | relativeTime: clock.now() }}`; pure, re-evaluated when `now` ticks. */
@Pipe({ name: 'relativeTime' })
export class RelativeTimePipe implements PipeTransform {
  transform(iso: string, now: number): string {
    return relativeTime(iso, now);
  }
}
