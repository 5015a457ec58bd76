/**
 * Acknowledged flow control for terminal output, as VS Code's pty host and Tabby do it: every
 * byte sent to the viewer is counted, and the source (a PTY or an SSH channel) is paused while
 * more than `high` bytes wait for the viewer's acknowledgement, then resumed once fewer than
 * `low` do. `yes` or a flood of logs then runs at the speed the viewer draws, and memory on the
 * way stays bounded by about `high` plus one read.
 */
export class FlowWindow {
  private unacked = 0;
  private paused = false;

  constructor(
    private readonly source: { pause(): void; resume(): void },
    readonly high = 256 * 1024,
    readonly low = 32 * 1024,
  ) {
    if (!(low < high)) throw new Error('FlowWindow: low must be below high');
  }

  /** Bytes handed to the viewer. */
  sent(bytes: number): void {
    this.unacked += bytes;
    if (!this.paused && this.unacked > this.high) {
      this.paused = true;
      this.source.pause();
    }
  }

  /** The viewer has drawn this many more bytes. */
  ack(bytes: number): void {
    this.unacked = Math.max(0, this.unacked - Math.max(0, bytes));
    if (this.paused && this.unacked < this.low) {
      this.paused = false;
      this.source.resume();
    }
  }

  get pending(): number {
    return this.unacked;
  }

  get isPaused(): boolean {
    return this.paused;
  }
}
