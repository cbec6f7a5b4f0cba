/**
 * Live token streams, outside the store: the worker bridge pushes each piece here and the one
 * component showing a run's current turn subscribes and writes into the DOM through a ref, so a
 * token never re-renders the tree.
 */
export type TokenListener = (turn: number, text: string) => void;

export class TokenStreams {
  private readonly texts = new Map<number, Map<number, string>>();
  private readonly listeners = new Map<number, Set<TokenListener>>();

  push(runId: number, turn: number, piece: string): void {
    let turns = this.texts.get(runId);
    if (!turns) this.texts.set(runId, (turns = new Map()));
    const text = (turns.get(turn) ?? '') + piece;
    turns.set(turn, text);
    for (const l of this.listeners.get(runId) ?? []) l(turn, text);
  }

  /** The text streamed so far for one turn of a run. */
  text(runId: number, turn: number): string {
    return this.texts.get(runId)?.get(turn) ?? '';
  }

  /** The highest turn that has streamed anything, or -1. */
  lastTurn(runId: number): number {
    const turns = this.texts.get(runId);
    return turns && turns.size ? Math.max(...turns.keys()) : -1;
  }

  subscribe(runId: number, listener: TokenListener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  clear(runId: number): void {
    this.texts.delete(runId);
  }
}

export const tokens = new TokenStreams();
