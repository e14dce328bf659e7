import type { SubmitFunction } from '@sveltejs/kit';
import { enhance as enhanceWithKit } from '$app/forms';

/**
 * The console's `use:enhance`: SvelteKit's, counting the submissions still saving or reloading.
 *
 * After an action SvelteKit reloads the page's data (invalidateAll) and only then shows the result.
 * An invalidation that starts meanwhile (a live refresh) wins, and the form's reload is dropped: the
 * result ("Refund of $88.00 succeeded") would show over data from before it. A live refresh waits for
 * the submissions in flight instead (`afterSubmissions`).
 */
export function enhance(form: HTMLFormElement, submit: SubmitFunction = () => {}): { destroy(): void } {
  return enhanceWithKit(form, async (input) => {
    let cancelled = false;
    const after = await submit({
      ...input,
      cancel: () => {
        cancelled = true;
        input.cancel();
      },
    });
    if (cancelled) return;
    inFlight++;
    return async (outcome) => {
      try {
        if (after) await after(outcome);
        else await outcome.update();
      } finally {
        if (--inFlight === 0) runWaiting();
      }
    };
  });
}

let inFlight = 0;
let waiting: (() => void) | undefined;

function runWaiting(): void {
  const run = waiting;
  waiting = undefined;
  run?.();
}

/** Runs `work` now, or once no submission is in flight (several calls meanwhile run it once). */
export function afterSubmissions(work: () => void): void {
  if (inFlight) waiting = work;
  else work();
}
