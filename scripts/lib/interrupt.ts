/**
 * Ctrl-C for long training scripts: the first press asks the loop to stop (after the current
 * step, or by aborting `signal`) and save; a second press more than a second later aborts
 * without saving. Under npm/tsx one press arrives twice, milliseconds apart, hence the debounce.
 */
export interface Interrupt {
  readonly requested: boolean;
  /** Aborted on the first press: pass it to work that can be cut short (rollouts). */
  readonly signal: AbortSignal;
}

export function onInterrupt(message = 'stopping after this step'): Interrupt {
  const controller = new AbortController();
  let at = 0;
  process.on('SIGINT', () => {
    if (controller.signal.aborted) {
      if (performance.now() - at > 1000) process.exit(130);
      return;
    }
    at = performance.now();
    controller.abort();
    console.log(`\n${message} (Ctrl-C again to abort without saving)…`);
  });
  return { get requested() { return controller.signal.aborted; }, signal: controller.signal };
}
