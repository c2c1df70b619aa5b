// A person's steps in the explorer for the browser tests: choosing files in a file input and
// waiting until the page shows what a step should lead to.
import type { Session } from '../demo/explorer/session.ts';

/**
 * Resolves when `ready()` holds, checking after every change of the page (nodes, text,
 * attributes) or of the work queue, and every 100 ms (element properties change without DOM
 * mutations). Logs `what` when it holds, so a test that hangs shows its last step.
 */
export function until(session: Session, ready: () => boolean, what: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!ready()) return;
      observer.disconnect();
      session.queue.removeEventListener('change', check);
      clearInterval(timer);
      console.log(`[explorer] ${what}`);
      resolve();
    };
    const observer = new MutationObserver(check);
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
    });
    session.queue.addEventListener('change', check);
    const timer = setInterval(check, 100);
    check();
  });
}

/** Chooses `files` in a file input, as the browser's picker does: `files` set, then `change`. */
export function choose(input: HTMLInputElement, ...files: File[]): void {
  const dt = new DataTransfer();
  for (const f of files) dt.items.add(f);
  input.files = dt.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
}
