// One progress line per step on stderr (stdout carries only the tables): "[03:12 12/41] step ...".
export class Progress {
  private done = 0;
  private readonly started = Date.now();

  constructor(
    private total: number,
    private readonly write: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
  ) {}

  /** The time since the bench started, as mm:ss. */
  elapsed(): string {
    const s = Math.floor((Date.now() - this.started) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  }

  /** A line about the step under way (not counted). */
  note(text: string): void {
    this.write(`[${this.elapsed()} ${this.done}/${this.total}] ${text}`);
  }

  /** A step finished: counted, with what it measured. */
  step(text: string): void {
    this.done++;
    this.note(text);
  }

  /** More steps than planned (a part that found it has more to do). */
  grow(by: number): void {
    this.total += by;
  }
}
